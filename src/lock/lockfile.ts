/**
 * The lockfile: the exact .debs of a build as reviewable JSON. Pure: the shape, the one way it
 * is written (fixed key order, sorted packages, two-space indent, final newline) so the same
 * resolution gives the same bytes, and the checks that refuse a file that is not one.
 * schemas/lockfile.schema.json describes the same shape for other tools.
 */
import { InputError } from '../errors.js';
import { debFileName } from '../cache/deb-file.js';

export const LOCKFILE_VERSION = 1;
export const DEFAULT_LOCKFILE = 'repro-sources.lock.json';

/** One repository the packages were resolved from, at the exact snapshot the server holds. */
export interface LockedArchive {
  /** Snapshot archive name: debian, debian-security, ubuntu, ... */
  name: string;
  /** The exact snapshot id of this archive that the time asked lands on. */
  snapshot: string;
  /** The repository URL apt used: `${base}${name}/${snapshot}/` (+ subdir). */
  url: string;
  suites: string[];
  components: string[];
  /** The sources entry's Signed-By (a keyring path or an inline key), when it has one. */
  signedBy?: string;
}

export interface LockRequest {
  /** The packages as asked, in the order given. */
  packages: string[];
  distro: 'debian' | 'ubuntu';
  codename: string;
  /** The time asked for, as a snapshot id (each archive's exact snapshot is in `archives`). */
  time: string;
  /** The first is apt's native architecture. */
  architectures: string[];
  archives: LockedArchive[];
}

export interface LockedPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package (the Source field of the index, else the package's own name). */
  source: string;
  /** Path in the archive (the index's Filename), e.g. pool/main/h/hello/hello_2.10-3_amd64.deb. */
  filename: string;
  /** Where the file is: the archive's URL + filename. */
  url: string;
  size: number;
  sha256: string;
  /** The locked packages this one's Depends and Pre-Depends are satisfied by, sorted. */
  depends: string[];
}

export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  request: LockRequest;
  packages: LockedPackage[];
}

const byte = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function comparePackages(a: LockedPackage, b: LockedPackage): number {
  return byte(a.name, b.name) || byte(a.architecture, b.architecture) || byte(a.version, b.version);
}

/** The lock's bytes: keys in the documented order whatever order the object has them in. */
export function serializeLockfile(lock: Lockfile): string {
  const r = lock.request;
  const doc = {
    lockfileVersion: lock.lockfileVersion,
    request: {
      packages: [...r.packages],
      distro: r.distro,
      codename: r.codename,
      time: r.time,
      architectures: [...r.architectures],
      archives: r.archives.map((a) => ({
        name: a.name,
        snapshot: a.snapshot,
        url: a.url,
        suites: [...a.suites],
        components: [...a.components],
        ...(a.signedBy !== undefined ? { signedBy: a.signedBy } : {}),
      })),
    },
    packages: [...lock.packages].sort(comparePackages).map((p) => ({
      name: p.name,
      version: p.version,
      architecture: p.architecture,
      source: p.source,
      filename: p.filename,
      url: p.url,
      size: p.size,
      sha256: p.sha256,
      depends: [...p.depends].sort(byte),
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Reads and checks a lockfile's text; anything that is not a version-1 lock is an InputError. */
export function parseLockfile(text: string, file = '<lockfile>'): Lockfile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, `not JSON: ${(e as Error).message}`);
  }
  const bad = (where: string, why: string): never => {
    throw new InputError(file, `${where}: ${why}`);
  };
  const obj = (v: unknown, where: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : bad(where, 'expected an object');
  const str = (v: unknown, where: string, re?: RegExp): string => (typeof v === 'string' && (!re || re.test(v)) ? v : bad(where, re ? `expected a string matching ${re}` : 'expected a string'));
  const strs = (v: unknown, where: string): string[] => (Array.isArray(v) ? v.map((x, i) => str(x, `${where}[${i}]`)) : bad(where, 'expected an array of strings'));
  const root = obj(doc, '$');
  if (root.lockfileVersion !== LOCKFILE_VERSION) bad('lockfileVersion', `expected ${LOCKFILE_VERSION}, found ${JSON.stringify(root.lockfileVersion)}`);
  const r = obj(root.request, 'request');
  const distro = str(r.distro, 'request.distro');
  if (distro !== 'debian' && distro !== 'ubuntu') bad('request.distro', 'expected debian or ubuntu');
  const ID = /^\d{8}T\d{6}Z$/;
  const archives = Array.isArray(r.archives) ? r.archives : bad('request.archives', 'expected an array');
  const request: LockRequest = {
    packages: strs(r.packages, 'request.packages'),
    distro: distro as 'debian' | 'ubuntu',
    codename: str(r.codename, 'request.codename'),
    time: str(r.time, 'request.time', ID),
    architectures: strs(r.architectures, 'request.architectures'),
    archives: archives.map((x, i) => {
      const a = obj(x, `request.archives[${i}]`);
      const w = `request.archives[${i}]`;
      return {
        name: str(a.name, `${w}.name`),
        snapshot: str(a.snapshot, `${w}.snapshot`, ID),
        url: str(a.url, `${w}.url`, /^https?:\/\/\S+\/$/),
        suites: strs(a.suites, `${w}.suites`),
        components: strs(a.components, `${w}.components`),
        ...(a.signedBy !== undefined ? { signedBy: str(a.signedBy, `${w}.signedBy`) } : {}),
      };
    }),
  };
  if (request.architectures.length === 0) bad('request.architectures', 'name at least one');
  const pkgs = Array.isArray(root.packages) ? root.packages : bad('packages', 'expected an array');
  const packages = pkgs.map((x, i): LockedPackage => {
    const p = obj(x, `packages[${i}]`);
    const w = `packages[${i}]`;
    const size = p.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) bad(`${w}.size`, 'expected a byte count');
    const filename = str(p.filename, `${w}.filename`);
    // fetch writes basename(filename): it must not climb out of the target directory
    if (filename.startsWith('/') || filename.split('/').some((s) => s === '..' || s === '') || !filename.endsWith('.deb')) bad(`${w}.filename`, `not a relative path to a .deb: ${JSON.stringify(filename)}`);
    return {
      name: str(p.name, `${w}.name`, /^[a-z0-9][a-z0-9+.-]*$/),
      version: str(p.version, `${w}.version`, /^[A-Za-z0-9.+~:-]+$/),
      architecture: str(p.architecture, `${w}.architecture`, /^[a-z0-9-]+$/),
      source: str(p.source, `${w}.source`),
      filename,
      url: str(p.url, `${w}.url`, /^https?:\/\/\S+$/),
      size: size as number,
      sha256: str(p.sha256, `${w}.sha256`, /^[0-9a-f]{64}$/),
      depends: strs(p.depends, `${w}.depends`),
    };
  });
  return { lockfileVersion: LOCKFILE_VERSION, request, packages };
}

/**
 * The file name a locked package is fetched to: the name apt's own cache gives it (epoch as
 * %3a), so a fetched directory also works as /var/cache/apt/archives and matches `cache` sets.
 */
export function localName(p: Pick<LockedPackage, 'name' | 'version' | 'architecture'>): string {
  return debFileName({ package: p.name, version: p.version, architecture: p.architecture });
}

/**
 * Where a locked URL lies: the archive of the request it belongs to, the snapshot it names (an
 * unchanged package keeps the URL of the older snapshot it was first locked at) and the path
 * below that snapshot.
 */
export function locateUrl(lock: Lockfile, url: string): { archive: LockedArchive; snapshot: string; path: string } | undefined {
  for (const a of lock.request.archives) {
    const at = a.url.indexOf(`/${a.name}/${a.snapshot}/`);
    if (at < 0) continue;
    const head = a.url.slice(0, at + a.name.length + 2);
    const subdir = a.url.slice(head.length + a.snapshot.length + 1);
    if (!url.startsWith(head)) continue;
    const m = /^(\d{8}T\d{6}Z)\//.exec(url.slice(head.length));
    const path = url.slice(head.length + 17);
    if (m && path.startsWith(subdir)) return { archive: a, snapshot: m[1]!, path };
  }
  return undefined;
}
