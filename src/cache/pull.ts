/**
 * cache pull: a .deb set from a store into a directory. Every name is checked before anything is
 * written; each blob streams into a temp file beside its final name while hashed and counted, and
 * is renamed only when digest and size match; a file already there with the right hash is
 * skipped. A download cut short is retried from the start, leaving no partial file; the .part
 * files of a pull that was killed (their pid gone) are removed when the next pull starts.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { IntegrityError, ReproSourcesError } from '../errors.js';
import { hashFile, writeAll } from '../fs/file-chunks.js';
import { besidePattern, removeDeadLeftovers, tempNameBeside } from '../fs/process-temp.js';
import { parseManifest, type DebLayer } from '../oci/manifest.js';
import type { BlobStore } from '../oci/store.js';
import { backoffMs, defaultSleep, isRetryableError } from '../net/retry.js';
import { checkSafeDebName } from './deb-file.js';
import type { TransferProgress } from './push.js';

export interface PullOptions {
  tag?: string | undefined;
  digest?: string | undefined;
  /** @default 4 */
  concurrency?: number;
  /** Tries per blob. @default 3 */
  tries?: number;
  onProgress?: (p: TransferProgress) => void;
}

export interface PullResult {
  digest: string;
  files: number;
  bytesReceived: number;
  bytesSkipped: number;
  ms: number;
}

export async function readSet(store: BlobStore, ref: { tag?: string | undefined; digest?: string | undefined }): Promise<{ digest: string; layers: DebLayer[]; annotations: Record<string, string> }> {
  const where = `${store.name}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
  const m = await store.getManifest({ ...(ref.tag ? { tag: ref.tag } : {}), ...(ref.digest ? { digest: ref.digest } : {}) });
  if (!m) throw new ReproSourcesError('NOT_FOUND', where, 'no such manifest', { exitCode: 1 });
  return { digest: m.digest, ...parseManifest(m.bytes, where) };
}

/** Whether the file at path has this digest (an unreadable file has none). */
function holds(path: string, digest: string): boolean {
  try {
    return hashFile(path).digest === digest;
  } catch {
    return false;
  }
}

export async function pullDebs(store: BlobStore, dir: string, o: PullOptions = {}): Promise<PullResult> {
  const started = performance.now();
  const set = await readSet(store, o);
  for (const l of set.layers) checkSafeDebName(l.title, `${store.name}@${set.digest}`);
  await mkdir(dir, { recursive: true });
  await removeDeadLeftovers(dir, besidePattern('part'));
  const progress: TransferProgress = { files: 0, totalFiles: set.layers.length, bytes: 0, totalBytes: set.layers.reduce((a, l) => a + l.size, 0) };
  let bytesReceived = 0;
  let bytesSkipped = 0;
  const limit = pLimit(o.concurrency ?? 4);
  // After a failure no new download starts, and the error waits for those under way to finish
  // or clean up: a rejection while one still writes would leave its .part file behind.
  let failure: { error: unknown } | undefined;
  await Promise.all(
    set.layers.map((l) =>
      limit(async () => {
        if (failure) return;
        const final = join(dir, l.title);
        try {
          const have = await stat(final).catch(() => undefined);
          if (have?.isFile() && have.size === l.size && holds(final, l.digest)) {
            bytesSkipped += l.size;
          } else {
            // not `+= await`: that would add to the total read before the await
            const n = await download(store, l, final, o.tries ?? 3);
            bytesReceived += n;
          }
        } catch (error) {
          failure ??= { error };
          return;
        }
        progress.files++;
        progress.bytes += l.size;
        o.onProgress?.({ ...progress });
      }),
    ),
  );
  if (failure) throw failure.error;
  return { digest: set.digest, files: set.layers.length, bytesReceived, bytesSkipped, ms: Math.round(performance.now() - started) };
}

async function download(store: BlobStore, l: DebLayer, final: string, tries: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const tmp = tempNameBeside(final, 'part');
    try {
      const h = createHash('sha256');
      // Each chunk is hashed and written before the store reuses its buffer: synchronous writes
      // into the page cache cost less than copying every chunk for an asynchronous one.
      const fd = openSync(tmp, 'w', 0o644);
      let n: number;
      try {
        n = await store.readBlob(l.digest, (chunk) => {
          h.update(chunk);
          writeAll(fd, chunk);
        });
      } finally {
        closeSync(fd);
      }
      const actual = `sha256:${h.digest('hex')}`;
      if (actual !== l.digest || n !== l.size) throw new IntegrityError(`${store.name}@${l.digest} (${l.title})`, `${l.digest} (${l.size} bytes)`, `${actual} (${n} bytes)`);
      await rename(tmp, final);
      return n;
    } catch (e) {
      await rm(tmp, { force: true });
      if (attempt >= tries || !(isRetryableError(e) || (e as { code?: string }).code === 'REGISTRY')) throw e;
      // a body cut short is fetched again from its first byte, after the policy's wait
      await defaultSleep(backoffMs(attempt));
    }
  }
}
