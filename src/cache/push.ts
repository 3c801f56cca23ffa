/**
 * cache push: the .debs of a directory into a store. Each file is hashed while streamed; a blob
 * the store already has is skipped (a second push of the same set sends nothing); the manifest
 * is deterministic, so the same files and inputs give the same digest.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { ReproSourcesError } from '../errors.js';
import { fileChunks, hashFile } from '../fs/file-chunks.js';
import { buildManifest, defaultTag, EMPTY_CONFIG, EMPTY_CONFIG_BYTES, parseManifest, type DebLayer, type SetInfo } from '../oci/manifest.js';
import type { BlobStore } from '../oci/store.js';
import { Readable } from 'node:stream';
import { parseDebFileName } from './deb-file.js';

export interface TransferProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export interface PushOptions extends SetInfo {
  tag?: string | undefined;
  merge?: boolean | undefined;
  /** @default 4 */
  concurrency?: number;
  onProgress?: (p: TransferProgress) => void;
}

export interface PushResult {
  digest: string;
  tag: string;
  files: number;
  bytesSent: number;
  bytesSkipped: number;
  ms: number;
}

export async function pushDebs(dir: string, store: BlobStore, o: PushOptions = {}): Promise<PushResult> {
  const started = performance.now();
  const names = (await readdir(dir).catch(() => {
    throw new ReproSourcesError('INPUT', dir, 'cannot read the directory', { exitCode: 2 });
  })).filter((n) => n.endsWith('.deb')).sort();
  if (names.length === 0) throw new ReproSourcesError('INPUT', dir, 'no .deb files to push', { exitCode: 2 });
  const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const progress: TransferProgress = { files: 0, totalFiles: names.length, bytes: 0, totalBytes };
  let bytesSent = 0;
  let bytesSkipped = 0;
  const limit = pLimit(o.concurrency ?? 4);
  const layers = await Promise.all(
    names.map((name) =>
      limit(async (): Promise<DebLayer> => {
        const path = join(dir, name);
        const parsed = parseDebFileName(name);
        if (!parsed) throw new ReproSourcesError('INPUT', path, 'not a package file name of the form NAME_VERSION_ARCH.deb', { exitCode: 2 });
        const { digest, size } = hashFile(path);
        if ((await store.statBlob(digest)) === size) {
          bytesSkipped += size;
        } else {
          await store.putBlob(digest, size, () => Readable.from(fileChunks(path, 1 << 20), { objectMode: false }));
          bytesSent += size;
        }
        progress.files++;
        progress.bytes += size;
        o.onProgress?.({ ...progress });
        return { title: name, digest, size, ...parsed };
      }),
    ),
  );
  if ((await store.statBlob(EMPTY_CONFIG.digest)) === undefined) await store.putBlob(EMPTY_CONFIG.digest, EMPTY_CONFIG.size, () => Readable.from([EMPTY_CONFIG_BYTES]));
  const tag = o.tag ?? defaultTag(o);
  let all = layers;
  if (o.merge) {
    const existing = await store.getManifest({ tag });
    if (existing) {
      const old = parseManifest(existing.bytes, `${store.name}:${tag}`).layers;
      const titles = new Set(layers.map((l) => l.title));
      all = [...layers, ...old.filter((l) => !titles.has(l.title))];
    }
  }
  const digest = await store.putManifest(buildManifest(all, o), tag);
  return { digest, tag, files: names.length, bytesSent, bytesSkipped, ms: Math.round(performance.now() - started) };
}
