/**
 * lock, lock --check and bump of a lock: a request (packages, repositories, a time,
 * architectures) resolved to the exact files apt would install, at the exact snapshot each
 * archive holds for that time.
 */
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { generateSources } from '../generate/generate.js';
import { loadTemplate } from '../generate/templates.js';
import { createAgent } from '../net/request.js';
import { latestSnapshot, resolveSnapshot } from '../probe/resolve.js';
import { readSourcesFiles } from '../rewrite/files.js';
import { fromSnapshotId, isSnapshotId } from '../snapshot/id.js';
import type { Distro } from '../snapshot/archives.js';
import { textToBytes } from '../sources/text.js';
import { timeToId } from '../update/diff.js';
import { bumpLockMarkdown, diffLocks, renderLockDiff, type LockDiff } from './compare.js';
import { LOCKFILE_VERSION, locateUrl, parseLockfile, serializeLockfile, type Lockfile } from './lockfile.js';
import { resolvePackages } from './resolve.js';
import { readLockfile } from './read.js';
import { lockedArchive, repositoriesOf, repositoriesOfLock, type Repository } from './sources.js';

export interface LockOptions {
  packages: readonly string[];
  /** Take the repositories from this root's sources files (and distro, codename from its os-release). */
  root?: string | undefined;
  /** Without root: generate the sources for distro + codename. */
  distro?: Distro | undefined;
  codename?: string | undefined;
  /** The time, as a snapshot id. */
  id: string;
  /** The first is apt's native architecture. @default ['amd64'] */
  architectures?: readonly string[] | undefined;
  snapshotBase?: string | undefined;
  signal?: AbortSignal;
}

interface Request {
  packages: readonly string[];
  distro: Distro;
  codename: string;
  id: string;
  architectures: readonly string[];
  repos: Repository[];
  /** Replaces each repository's snapshot service base. */
  snapshotBase?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Resolves the packages and writes nothing: the lock as an object (serializeLockfile gives its bytes). */
export async function lock(o: LockOptions): Promise<Lockfile> {
  return resolveRequest(await requestOf(o));
}

async function requestOf(o: LockOptions): Promise<Request> {
  const architectures = o.architectures && o.architectures.length > 0 ? [...o.architectures] : ['amd64'];
  const base = o.snapshotBase ? { snapshotBase: o.snapshotBase } : {};
  if (o.root !== undefined) {
    const { readDistro } = await import('../rewrite/drop-in.js');
    const os = await readDistro(o.root);
    const distro = o.distro ?? os.distro;
    const codename = o.codename ?? os.codename;
    if (!distro || !codename) throw new UsageError(o.root, 'no distro and codename in its etc/os-release: give --distro and --codename');
    return { packages: o.packages, distro, codename, id: o.id, architectures, repos: repositoriesOf(await readSourcesFiles(o.root), { id: o.id, ...base }), signal: o.signal };
  }
  if (!o.distro || !o.codename) throw new UsageError('--distro --codename', 'give --root DIR, or --distro and --codename');
  const text = generateSources({ distro: o.distro, codename: o.codename, epoch: fromSnapshotId(o.id), architectures, ...base }, await loadTemplate('sources/deb822.sources'));
  return { packages: o.packages, distro: o.distro, codename: o.codename, id: o.id, architectures, repos: repositoriesOf([{ path: 'generated.sources', content: Buffer.from(textToBytes(text)) }], { id: o.id, ...base }), signal: o.signal };
}

async function resolveRequest(r: Request): Promise<Lockfile> {
  const dispatcher = createAgent();
  try {
    // each archive at the exact snapshot the server holds for the time (debian and
    // debian-security import on their own schedules)
    const exact = new Map<string, string>();
    for (const repo of r.repos) {
      if (exact.has(repo.name)) continue;
      const base = r.snapshotBase ?? repo.base;
      exact.set(repo.name, (await resolveSnapshot({ base, archive: repo.name, id: r.id, dispatcher, ...(r.signal ? { signal: r.signal } : {}) })).id);
    }
    const archives = r.repos.map((repo) => lockedArchive(repo, exact.get(repo.name)!, r.snapshotBase));
    const packages = await resolvePackages({ packages: r.packages, archives, architectures: r.architectures, ...(r.signal ? { signal: r.signal } : {}) });
    const lockfile: Lockfile = {
      lockfileVersion: LOCKFILE_VERSION,
      request: { packages: [...r.packages], distro: r.distro, codename: r.codename, time: r.id, architectures: [...r.architectures], archives },
      packages,
    };
    // the object returned holds what its bytes hold (sorted)
    return parseLockfile(serializeLockfile(lockfile));
  } finally {
    await dispatcher.close();
  }
}

export interface CheckOptions {
  /** The lock to check. */
  lockfile: Lockfile;
  /** Resolve from this root's sources instead of the lock's repositories. */
  root?: string | undefined;
  distro?: Distro | undefined;
  codename?: string | undefined;
  /** The time; default: the lock's. */
  id?: string | undefined;
  architectures?: readonly string[] | undefined;
  snapshotBase?: string | undefined;
  signal?: AbortSignal;
}

export interface CheckResult {
  ok: boolean;
  diff: LockDiff;
  /** What differs, as `lock --check` prints it ('' when ok). */
  text: string;
  fresh: Lockfile;
}

/** Resolves the lock's request again (with the options given instead, where given) and compares. */
export async function checkLock(o: CheckOptions): Promise<CheckResult> {
  const req = o.lockfile.request;
  const id = o.id ?? req.time;
  const architectures = o.architectures && o.architectures.length > 0 ? o.architectures : req.architectures;
  const fresh = o.root !== undefined || o.distro !== undefined
    ? await lock({ packages: req.packages, root: o.root, distro: o.distro, codename: o.codename ?? (o.root === undefined ? req.codename : undefined), id, architectures, snapshotBase: o.snapshotBase, ...(o.signal ? { signal: o.signal } : {}) })
    : await resolveRequest({ packages: req.packages, distro: req.distro, codename: req.codename, id, architectures, repos: repositoriesOfLock(req.archives), snapshotBase: o.snapshotBase, signal: o.signal });
  const diff = diffLocks(o.lockfile, fresh);
  return { ok: diff.same, diff, text: diff.same ? '' : renderLockDiff(diff), fresh };
}

export interface BumpLockOptions {
  /** Path of the lockfile; rewritten atomically unless dryRun. */
  file: string;
  /** How the summary names the file. @default file */
  name?: string;
  /** latest, an epoch, or a snapshot id. */
  to: string;
  snapshotBase?: string | undefined;
  dryRun?: boolean;
  now?: () => number;
  signal?: AbortSignal;
}

export interface BumpLockResult {
  before: Lockfile;
  after: Lockfile;
  diff: LockDiff;
  changed: boolean;
  markdown: string;
}

/** Resolves the lock's request at a newer time and rewrites the lock: `bump FILE.lock.json`. */
export async function bumpLock(o: BumpLockOptions): Promise<BumpLockResult> {
  const before = await readLockfile(o.file);
  const repos = repositoriesOfLock(before.request.archives);
  let id: string;
  if (o.to === 'latest') {
    const first = repos[0]!;
    const dispatcher = createAgent();
    try {
      id = (await latestSnapshot({ base: o.snapshotBase ?? first.base, archive: first.name, dispatcher, ...(o.now ? { now: o.now } : {}) })).id;
    } finally {
      await dispatcher.close();
    }
  } else id = timeToId(o.to, '--to');
  if (!isSnapshotId(id)) throw new UsageError(`--to ${o.to}`, 'not a time');
  const req = before.request;
  const fresh = await resolveRequest({ packages: req.packages, distro: req.distro, codename: req.codename, id, architectures: req.architectures, repos, snapshotBase: o.snapshotBase, signal: o.signal });
  // a package whose file is the same keeps its entry (the older snapshot still serves it): the
  // lock's diff in review shows only what changed
  const old = new Map(before.packages.map((p) => [`${p.name}\t${p.architecture}`, p]));
  const after: Lockfile = {
    ...fresh,
    packages: fresh.packages.map((p) => {
      const was = old.get(`${p.name}\t${p.architecture}`);
      const same = was && was.version === p.version && was.sha256 === p.sha256 && was.size === p.size && locateUrl(fresh, was.url) !== undefined;
      return same ? { ...p, url: was.url, filename: was.filename } : p;
    }),
  };
  const diff = diffLocks(before, after);
  const bytes = serializeLockfile(after);
  const changed = bytes !== serializeLockfile(before);
  if (changed && !o.dryRun) await writeFileAtomic(o.file, bytes);
  return { before, after, diff, changed, markdown: bumpLockMarkdown(o.name ?? o.file, diff, before, after) };
}
