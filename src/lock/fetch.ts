/**
 * fetch: exactly the files of a lock into a directory, in parallel and bounded, from an OCI
 * store when one is given (blobs are addressed by the lock's sha256, so any set holding them
 * serves) and from the snapshot service otherwise. Each file streams into a temp file beside
 * its final name while hashed and counted, and is renamed only when sha256 and size match the
 * lock; a file already there with the right bytes is kept.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { IntegrityError, ReproSourcesError } from '../errors.js';
import { hashFile, writeAll } from '../fs/file-chunks.js';
import { besidePattern, removeDeadLeftovers, tempNameBeside } from '../fs/process-temp.js';
import type { BlobStore } from '../oci/store.js';
import { RetryableStatusError, isWorthRetrying, withRetries } from '../net/retry.js';
import { checkSafeDebName } from '../cache/deb-file.js';
import type { TransferProgress } from '../cache/push.js';
import { createDownloader, type Downloader } from './download.js';
import { localName, locateUrl, type Lockfile, type LockedPackage } from './lockfile.js';

export interface FetchLockedOptions {
  lockfile: Lockfile;
  /** Directory to write the .debs to (created). */
  to: string;
  /** Take the blobs from here first; the network serves what it lacks. */
  store?: BlobStore | undefined;
  /** Replaces the snapshot service base of the lock's URLs (e.g. a local `serve`). */
  snapshotBase?: string | undefined;
  /** After the fetch, remove the .deb files of `to` the lock does not name (a cache mount shared by builds of other locks). */
  prune?: boolean;
  /** @default 8 */
  concurrency?: number;
  /** Tries per file on a broken connection or a 5xx. @default 3 */
  tries?: number;
  onProgress?: (p: TransferProgress) => void;
}

export interface FetchLockedResult {
  files: number;
  fromCache: number;
  fromNetwork: number;
  /** Already in the directory with the right bytes. */
  kept: number;
  /** .deb files removed by prune. */
  pruned: number;
  bytesReceived: number;
  ms: number;
}

/** A locked package's URL under another snapshot service base. */
export function rebase(lockfile: Lockfile, p: LockedPackage, base: string | undefined): string {
  if (base === undefined) return p.url;
  const b = base.endsWith('/') ? base : `${base}/`;
  const at = locateUrl(lockfile, p.url);
  if (at) return `${b}${at.archive.name}/${at.snapshot}/${at.path}`;
  throw new ReproSourcesError('INPUT', p.url, 'no archive of the lock holds this URL: cannot move it to --snapshot-base', { exitCode: 2 });
}

export async function fetchLocked(o: FetchLockedOptions): Promise<FetchLockedResult> {
  const started = performance.now();
  const pkgs = o.lockfile.packages;
  const names = new Set<string>();
  for (const p of pkgs) {
    const name = localName(p);
    checkSafeDebName(name, p.url);
    if (names.has(name)) throw new ReproSourcesError('INPUT', name, 'the lock names this file twice', { exitCode: 2 });
    names.add(name);
  }
  const urls = pkgs.map((p) => rebase(o.lockfile, p, o.snapshotBase));
  await mkdir(o.to, { recursive: true });
  // a fetch killed midway left its .part files: those of processes that are gone go now
  await removeDeadLeftovers(o.to, besidePattern('part'));
  const progress: TransferProgress = { files: 0, totalFiles: pkgs.length, bytes: 0, totalBytes: pkgs.reduce((a, p) => a + p.size, 0) };
  const r: FetchLockedResult = { files: pkgs.length, fromCache: 0, fromNetwork: 0, kept: 0, pruned: 0, bytesReceived: 0, ms: 0 };
  const limit = pLimit(o.concurrency ?? 8);
  const net = createDownloader();
  // After a failure no new download starts, and the error waits for those under way to finish
  // or clean up, so no temp file outlives it.
  let failure: { error: unknown } | undefined;
  try {
    await Promise.all(
      pkgs.map((p, i) =>
        limit(async () => {
          if (failure) return;
          const final = join(o.to, localName(p));
          try {
            const have = await stat(final).catch(() => undefined);
            if (have?.isFile() && have.size === p.size && holds(final, p.sha256)) {
              r.kept++;
            } else {
              const cached = o.store !== undefined && (await o.store.statBlob(`sha256:${p.sha256}`)) === p.size;
              const n = await fetchOne(p, urls[i]!, final, cached ? o.store : undefined, net, o.tries ?? 3);
              r.bytesReceived += n;
              if (cached) r.fromCache++;
              else r.fromNetwork++;
            }
          } catch (error) {
            failure ??= { error };
            return;
          }
          progress.files++;
          progress.bytes += p.size;
          o.onProgress?.({ ...progress });
        }),
      ),
    );
  } finally {
    net.close();
  }
  if (failure) throw failure.error;
  if (o.prune) {
    for (const n of await readdir(o.to)) {
      if (n.endsWith('.deb') && !names.has(n)) {
        await rm(join(o.to, n), { force: true });
        r.pruned++;
      }
    }
  }
  r.ms = Math.round(performance.now() - started);
  return r;
}

function holds(path: string, sha256: string): boolean {
  try {
    return hashFile(path).digest === `sha256:${sha256}`;
  } catch {
    return false;
  }
}

async function fetchOne(p: LockedPackage, url: string, final: string, store: BlobStore | undefined, net: Downloader, tries: number): Promise<number> {
  const where = store ? `${store.name}@sha256:${p.sha256} (${localName(p)})` : url;
  const once = async (): Promise<number> => {
    const tmp = tempNameBeside(final, 'part');
    try {
      const h = createHash('sha256');
      const fd = openSync(tmp, 'w', 0o644);
      let n = 0;
      try {
        const sink = (chunk: Buffer): void => {
          n += chunk.length;
          // more bytes than the lock says: stop reading now, not after the whole body
          if (n > p.size) throw new IntegrityError(where, `sha256:${p.sha256} (${p.size} bytes, from the lock)`, `more than ${p.size} bytes`);
          h.update(chunk);
          writeAll(fd, chunk);
        };
        if (store) await store.readBlob(`sha256:${p.sha256}`, sink);
        else await net.get(url, sink);
      } finally {
        closeSync(fd);
      }
      const actual = h.digest('hex');
      if (actual !== p.sha256 || n !== p.size) throw new IntegrityError(where, `sha256:${p.sha256} (${p.size} bytes, from the lock)`, `sha256:${actual} (${n} bytes)`);
      await rename(tmp, final);
      return n;
    } finally {
      await rm(tmp, { force: true });
    }
  };
  try {
    // the project's one retry policy: backoff with jitter, Retry-After, a total bound
    return await withRetries(once, { retries: tries - 1, retryIf: (e) => isWorthRetrying(e) || (e as { code?: string }).code === 'REGISTRY' });
  } catch (e) {
    if (e instanceof RetryableStatusError) throw new ReproSourcesError('HTTP', e.subject, `HTTP ${e.status} after ${tries} tries`, { exitCode: 1 });
    throw e;
  }
}
