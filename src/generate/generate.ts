/**
 * `generate`: a complete snapshot sources file for a distro release, with no input file.
 * Which suites, archives, keyrings and architectures go where is decided here; the layout
 * of the file is the template's. Pure: the template text is passed in.
 */
import { UsageError } from '../errors.js';
import { archiveInfo, snapshotUrl, type Distro } from '../snapshot/archives.js';
import { toSnapshotId } from '../snapshot/id.js';
import { DEBIAN_RELEASE_CODENAMES, DEBIAN_SUITE_ALIASES, UBUNTU_RELEASE_CODENAMES, UBUNTU_RETIRED_BEFORE_SNAPSHOTS } from '../snapshot/releases.js';
import { renderTemplate, type TemplateScope } from './render.js';

export type SourcesFormat = 'deb822' | 'one-line';

export interface GenerateOptions {
  distro: Distro;
  codename: string;
  epoch: number;
  /** @default 'deb822' */
  format?: SourcesFormat;
  /** Debian: added to main. Ubuntu: replaces "main restricted universe multiverse". */
  components?: readonly string[];
  /** Architectures to serve; Ubuntu splits them between the archive (amd64, i386) and ports. */
  architectures?: readonly string[];
  /**
   * The architecture apt will run on when `architectures` is not given (no Architectures field
   * is written then; for Ubuntu it picks the archive or ports). @default 'amd64'
   */
  hostArch?: string;
  /** Debian: add CODENAME-backports. (Ubuntu always has its backports pocket.) */
  backports?: boolean;
  /** Replaces the archive's default snapshot base (http://snapshot.debian.org/archive/, https://snapshot.ubuntu.com/). */
  snapshotBase?: string;
}

/** Debian releases whose security suite is CODENAME/updates (the layout changed with bullseye). */
const DEBIAN_OLD_SECURITY = new Set(['buzz', 'rex', 'bo', 'hamm', 'slink', 'potato', 'woody', 'sarge', 'etch', 'lenny', 'squeeze', 'wheezy', 'jessie', 'stretch', 'buster']);
/** Releases whose debian-archive-keyring ships only the .gpg keyring (trixie added .pgp). */
const DEBIAN_GPG_KEYRING = new Set([...DEBIAN_OLD_SECURITY, 'bullseye', 'bookworm']);
/** Suites with neither -updates nor -security. */
const DEBIAN_ROLLING = new Set(['sid', 'unstable', 'experimental', 'rc-buggy']);
const UBUNTU_NATIVE_ARCHS = new Set(['amd64', 'i386']);
const UBUNTU_COMPONENTS = ['main', 'restricted', 'universe', 'multiverse'];

interface Repo {
  archive: string;
  suites: string[];
  architectures: readonly string[];
}

export function generateSources(options: GenerateOptions, template: string): string {
  const codename = options.codename;
  if (!/^[a-z][a-z0-9-]*$/.test(codename)) throw new UsageError(`--codename ${codename}`, 'not a release codename (lowercase letters, digits, "-")');
  checkKnownRelease(options.distro, codename);
  for (const list of [options.components ?? [], options.architectures ?? []]) {
    for (const item of list) if (!/^[a-z0-9][a-z0-9.+_-]*$/i.test(item)) throw new UsageError(item, 'not a component or architecture name');
  }
  const id = toSnapshotId(options.epoch);
  const repos = options.distro === 'debian' ? debianRepos(options) : ubuntuRepos(options);
  const components = options.distro === 'debian'
    ? unique(['main', ...(options.components ?? [])])
    : options.components && options.components.length > 0 ? unique([...options.components]) : UBUNTU_COMPONENTS;
  const signedBy = options.distro === 'ubuntu'
    ? '/usr/share/keyrings/ubuntu-archive-keyring.gpg'
    : `/usr/share/keyrings/debian-archive-keyring.${DEBIAN_GPG_KEYRING.has(codename) ? 'gpg' : 'pgp'}`;
  const uri = (archive: string): string => snapshotUrl(options.snapshotBase ?? archiveInfo(archive)!.defaultBase, archive, id);
  const stanzas: TemplateScope[] = repos.map((r, i) => ({
    separator: i === 0 ? '' : '\n',
    uri: uri(r.archive),
    suites: r.suites.join(' '),
    architectures: r.architectures.join(' '),
  }));
  const lines: TemplateScope[] = repos.flatMap((r) =>
    r.suites.map((suite) => ({
      uri: uri(r.archive),
      suite,
      options: [r.architectures.length > 0 ? `arch=${r.architectures.join(',')}` : '', `signed-by=${signedBy}`, 'check-valid-until=no']
        .filter(Boolean)
        .join(' '),
    })),
  );
  return renderTemplate(template, {
    distroName: options.distro === 'debian' ? 'Debian' : 'Ubuntu',
    codename,
    id,
    epoch: options.epoch,
    components: components.join(' '),
    signedBy,
    stanzas,
    lines,
  });
}

/** generate writes suites apt will look for: an unknown name would be a file of 404s. */
export function checkKnownRelease(distro: Distro, codename: string): void {
  if (distro === 'debian') {
    if (DEBIAN_RELEASE_CODENAMES.includes(codename) || DEBIAN_SUITE_ALIASES.includes(codename)) return;
    throw new UsageError(`--codename ${codename}`, `not a Debian release (known: ${[...DEBIAN_RELEASE_CODENAMES, ...DEBIAN_SUITE_ALIASES].join(', ')})`);
  }
  if (UBUNTU_RELEASE_CODENAMES.includes(codename)) return;
  if (UBUNTU_RETIRED_BEFORE_SNAPSHOTS.has(codename)) {
    throw new UsageError(`--codename ${codename}`, `Ubuntu ${codename} was retired before snapshot.ubuntu.com's first snapshot (known: ${UBUNTU_RELEASE_CODENAMES.join(', ')})`);
  }
  throw new UsageError(`--codename ${codename}`, `not an Ubuntu release (known: ${UBUNTU_RELEASE_CODENAMES.join(', ')})`);
}

export function templateName(format: SourcesFormat = 'deb822'): string {
  return format === 'deb822' ? 'sources/deb822.sources' : 'sources/one-line.list';
}

function debianRepos(o: GenerateOptions): Repo[] {
  const c = o.codename;
  const archs = o.architectures ?? [];
  if (DEBIAN_ROLLING.has(c)) return [{ archive: 'debian', suites: [c], architectures: archs }];
  const main = [c, `${c}-updates`, ...(o.backports ? [`${c}-backports`] : [])];
  const security = DEBIAN_OLD_SECURITY.has(c) ? `${c}/updates` : `${c}-security`;
  return [
    { archive: 'debian', suites: main, architectures: archs },
    { archive: 'debian-security', suites: [security], architectures: archs },
  ];
}

function ubuntuRepos(o: GenerateOptions): Repo[] {
  const c = o.codename;
  const suites = [c, `${c}-updates`, `${c}-backports`, `${c}-security`];
  const archs = o.architectures ?? [];
  if (archs.length === 0) {
    return [{ archive: UBUNTU_NATIVE_ARCHS.has(o.hostArch ?? 'amd64') ? 'ubuntu' : 'ubuntu-ports', suites, architectures: [] }];
  }
  const native = archs.filter((a) => UBUNTU_NATIVE_ARCHS.has(a));
  const ports = archs.filter((a) => !UBUNTU_NATIVE_ARCHS.has(a));
  const repos: Repo[] = [];
  if (native.length > 0) repos.push({ archive: 'ubuntu', suites, architectures: native });
  if (ports.length > 0) repos.push({ archive: 'ubuntu-ports', suites, architectures: ports });
  return repos;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
