/**
 * A lock's files as a cache set: `warm --lock` fetches them (each checked against the lock)
 * and pushes them; `cache push --lock` first checks that a directory holds exactly them.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReproSourcesError } from '../errors.js';
import { hashFile } from '../fs/file-chunks.js';
import { pushDebs, type PushResult, type TransferProgress } from '../cache/push.js';
import type { BlobStore } from '../oci/store.js';
import { fromSnapshotId } from '../snapshot/id.js';
import { fetchLocked } from './fetch.js';
import { localName, type Lockfile } from './lockfile.js';

/** Throws unless dir's .deb files are exactly the lock's, byte for byte. `what` names the lock in the message. */
export function checkDirHoldsLock(dir: string, names: readonly string[], lockfile: Lockfile, what: string): void {
  const want = new Map(lockfile.packages.map((p) => [localName(p), p]));
  const fail = (why: string): never => {
    throw new ReproSourcesError('INTEGRITY', dir, `does not hold exactly ${what}: ${why}`, { exitCode: 1 });
  };
  const have = new Set(names.filter((n) => n.endsWith('.deb')));
  for (const n of [...have].sort()) if (!want.has(n)) fail(`${n} is not in the lock`);
  for (const [n, p] of [...want].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!have.has(n)) fail(`${n} is missing`);
    const { digest, size } = hashFile(join(dir, n));
    if (digest !== `sha256:${p.sha256}` || size !== p.size) fail(`${n} is ${digest} (${size} bytes), the lock says sha256:${p.sha256} (${p.size} bytes)`);
  }
}

export async function readDebNames(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => {
    throw new ReproSourcesError('INPUT', dir, 'cannot read the directory', { exitCode: 2 });
  });
}

export interface WarmLockedOptions {
  lockfile: Lockfile;
  store: BlobStore;
  tag?: string | undefined;
  snapshotBase?: string | undefined;
  onProgress?: (p: TransferProgress) => void;
}

/** Fetches the locked files (verified) into a temp directory and pushes exactly those. */
export async function warmLocked(o: WarmLockedOptions): Promise<PushResult> {
  const dir = await mkdtemp(join(tmpdir(), 'repro-sources-warm-lock-'));
  try {
    const r = o.lockfile.request;
    await fetchLocked({ lockfile: o.lockfile, to: dir, store: o.store, snapshotBase: o.snapshotBase });
    const arch = r.architectures[0]!;
    return await pushDebs(dir, o.store, {
      tag: o.tag,
      distro: r.distro,
      codename: r.codename,
      snapshot: r.archives[0]!.snapshot,
      architecture: arch,
      created: fromSnapshotId(r.time),
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
