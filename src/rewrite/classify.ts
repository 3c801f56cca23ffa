/**
 * Which snapshot archive, if any, a sources entry belongs to: decided from the URI path, the
 * suite and the components, never from a list of mirror hosts, so every Debian and Ubuntu
 * mirror (regional, cloud, corporate, /ftp/debian, /pub/ubuntu ...) is recognised. The only
 * host names here are a short deny-list of places that are never the distro archive. Pure.
 */
import { isSnapshotId } from '../snapshot/id.js';
import type { Distro } from '../snapshot/archives.js';
import { DEBIAN_RELEASE_CODENAMES, DEBIAN_SUITE_ALIASES, UBUNTU_RETIRED_BEFORE_SNAPSHOTS } from '../snapshot/releases.js';

export type Classification =
  /** A distro archive mirror: pin it to `${base}${archive}/${id}/${subdir}`. */
  | { kind: 'archive'; distro: Distro; archive: string; subdir: string; transport: string }
  /** Already a snapshot URL: re-pin to the new id, keeping its base. */
  | { kind: 'snapshot'; distro: Distro; archive: string; subdir: string; base: string; id: string; transport: string }
  /** The distro's archive, but a release the snapshot service does not have. */
  | { kind: 'unsupported'; distro: Distro; archive: string; reason: string }
  /** Anything else: third-party, PPA, local; left byte-identical. */
  | { kind: 'foreign'; reason: string };

export interface EntryFacts {
  uri: string;
  suite: string;
  components: readonly string[];
}

/** Launchpad's PPA hosts and Ubuntu Pro: paths that look like the archive but never are. */
const NOT_ARCHIVE_HOSTS = [
  'ppa.launchpad.net',
  'ppa.launchpadcontent.net',
  'private-ppa.launchpad.net',
  'private-ppa.launchpadcontent.net',
  'snapshot.ppa.launchpadcontent.net',
  'esm.ubuntu.com',
];

const SNAPSHOT_ARCHIVES: Record<string, Distro> = {
  debian: 'debian',
  'debian-security': 'debian',
  'debian-ports': 'debian',
  'debian-debug': 'debian',
  'debian-archive': 'debian',
  'debian-backports': 'debian',
  'debian-volatile': 'debian',
  ubuntu: 'ubuntu',
  'ubuntu-ports': 'ubuntu',
};

const DEBIAN_CODENAMES: ReadonlySet<string> = new Set([...DEBIAN_RELEASE_CODENAMES, ...DEBIAN_SUITE_ALIASES]);
const DEBIAN_POCKETS = new Set(['', '-updates', '-backports', '-backports-sloppy', '-proposed-updates', '-lts', '-security', '/updates']);
const DEBIAN_COMPONENTS = new Set(['main', 'contrib', 'non-free', 'non-free-firmware']);

const UBUNTU_POCKETS = new Set(['', '-updates', '-security', '-backports', '-proposed']);
const UBUNTU_COMPONENTS = new Set(['main', 'restricted', 'universe', 'multiverse']);

interface ParsedUri {
  /** 'tor+', or '' */
  transport: string;
  scheme: string;
  host: string;
  segments: string[];
}

function parseUri(uri: string): ParsedUri | undefined {
  const m = /^([a-z][a-z0-9.+-]*):\/\/([^/?#]*)([^?#]*)$/i.exec(uri);
  if (!m) return undefined;
  const fullScheme = m[1]!.toLowerCase();
  const plus = fullScheme.lastIndexOf('+');
  const scheme = fullScheme.slice(plus + 1);
  const transport = fullScheme.slice(0, plus + 1);
  const host = m[2]!.toLowerCase().replace(/^[^@]*@/, '');
  return { transport, scheme, host, segments: m[3]!.split('/').filter(Boolean) };
}

function splitSuite(suite: string, pockets: ReadonlySet<string>): { codename: string; pocket: string } | undefined {
  const s = suite.replace(/\/$/, '');
  for (const p of [...pockets].sort((a, b) => b.length - a.length)) {
    if (p !== '' && s.endsWith(p)) return { codename: s.slice(0, -p.length), pocket: p };
  }
  return { codename: s, pocket: '' };
}

function componentsIn(components: readonly string[], allowed: ReadonlySet<string>): boolean {
  // "main/debian-installer" is the installer's view of main
  return components.length > 0 && components.every((c) => allowed.has(c.split('/')[0]!));
}

export function classifyEntry(e: EntryFacts): Classification {
  const u = parseUri(e.uri);
  if (!u) return { kind: 'foreign', reason: 'not a network URI' };
  if (u.transport === 'mirror+' || u.scheme === 'mirror') return { kind: 'foreign', reason: 'a mirror list (mirror+): its mirrors are not in the URI' };
  if (!['http', 'https', 'ftp'].includes(u.scheme)) return { kind: 'foreign', reason: `local or unsupported method ${u.scheme}:` };
  if (NOT_ARCHIVE_HOSTS.some((h) => u.host === h || u.host.endsWith(`.${h}`))) return { kind: 'foreign', reason: 'a PPA or Ubuntu Pro repository' };

  // already a snapshot URL: .../<archive>/<id>/[subdir]
  for (let k = 0; k + 1 < u.segments.length; k++) {
    const archive = u.segments[k]!;
    const distro = SNAPSHOT_ARCHIVES[archive];
    if (distro && isSnapshotId(u.segments[k + 1]!)) {
      const prefix = u.segments.slice(0, k).join('/');
      const rest = u.segments.slice(k + 2).join('/');
      return {
        kind: 'snapshot',
        distro,
        archive,
        subdir: rest ? `${rest}/` : '',
        base: `${u.scheme}://${u.host}/${prefix ? `${prefix}/` : ''}`,
        id: u.segments[k + 1]!,
        transport: u.transport,
      };
    }
  }

  const last = u.segments.at(-1) ?? '';
  // debian-debug's suites are the main archive's with "-debug" appended
  const debianSuite = splitSuite(last === 'debian-debug' ? e.suite.replace(/-debug$/, '') : e.suite, DEBIAN_POCKETS);
  const isDebianSuite = debianSuite !== undefined && DEBIAN_CODENAMES.has(debianSuite.codename);
  const debianLike = isDebianSuite && componentsIn(e.components, DEBIAN_COMPONENTS);
  const securitySuite = debianSuite?.pocket === '-security' || debianSuite?.pocket === '/updates';

  // archive.debian.org keeps end-of-life releases; snapshot holds it as debian-archive/<id>/{debian,debian-security}/
  const archiveIdx = u.segments.indexOf('debian-archive');
  if ((u.host === 'archive.debian.org' || archiveIdx >= 0) && (last === 'debian' || last === 'debian-security') && debianLike) {
    return { kind: 'archive', distro: 'debian', archive: 'debian-archive', subdir: `${last}/`, transport: u.transport };
  }
  if (debianLike) {
    if (last === 'debian' || last === 'debian-security' || last === 'debian-debug' || last === 'debian-backports') {
      return { kind: 'archive', distro: 'debian', archive: last, subdir: '', transport: u.transport };
    }
    // security.debian.org/ with "jessie/updates": the security archive at the host's root
    if (u.segments.length === 0 && securitySuite) return { kind: 'archive', distro: 'debian', archive: 'debian-security', subdir: '', transport: u.transport };
  }
  if (last === 'debian-ports' && (e.suite === 'sid' || e.suite === 'unreleased' || e.suite === 'experimental') && e.components.every((c) => c === 'main')) {
    return { kind: 'archive', distro: 'debian', archive: 'debian-ports', subdir: '', transport: u.transport };
  }

  if (last === 'ubuntu' || last === 'ubuntu-ports') {
    const s = splitSuite(e.suite, UBUNTU_POCKETS)!;
    if (!componentsIn(e.components, UBUNTU_COMPONENTS)) return { kind: 'foreign', reason: 'a path ending in /ubuntu, but not Ubuntu components' };
    if (UBUNTU_RETIRED_BEFORE_SNAPSHOTS.has(s.codename)) {
      return { kind: 'unsupported', distro: 'ubuntu', archive: last, reason: `Ubuntu ${s.codename} was retired before snapshot.ubuntu.com's first snapshot (20230301T000000Z)` };
    }
    if (!/^[a-z]+$/.test(s.codename) || !UBUNTU_POCKETS.has(s.pocket)) {
      return { kind: 'foreign', reason: `a path ending in /${last}, but "${e.suite}" is not an Ubuntu suite` };
    }
    // known releases, and ones newer than this table (they all are on snapshot.ubuntu.com)
    return { kind: 'archive', distro: 'ubuntu', archive: last, subdir: '', transport: u.transport };
  }
  if (isDebianSuite && !debianLike && (last === 'debian' || last === 'debian-security')) {
    return { kind: 'foreign', reason: 'a path ending in /debian, but not Debian components' };
  }
  // a codename newer than the table (or a typo): the archive path and Debian's components say
  // it is Debian, and probe can then say which dists/ the snapshot lacks (as Ubuntu's do)
  if ((last === 'debian' || last === 'debian-security') && debianSuite !== undefined && /^[a-z]+$/.test(debianSuite.codename) && componentsIn(e.components, DEBIAN_COMPONENTS)) {
    return { kind: 'archive', distro: 'debian', archive: last, subdir: '', transport: u.transport };
  }
  return { kind: 'foreign', reason: 'not a Debian or Ubuntu archive' };
}
