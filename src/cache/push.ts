/**
 * cache push: the .debs of a directory into a store. Each file is hashed while streamed; a blob
 * the store already has is skipped (a second push of the same set sends nothing); the manifest
 * is deterministic, so the same files and inputs give the same digest.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { ReproSourcesError } from '../errors.js';
import { hashFile } from '../fs/file-chunks.js';
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
        const held = store.verifyBlob ? await store.verifyBlob(digest, size) : (await store.statBlob(digest)) === size;
        if (held) {
          bytesSkipped += size;
        } else {
          await store.putBlob(digest, size, { file: path });
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
  const digest = o.merge ? await mergeInto(store, tag, layers, o) : await store.putManifest(buildManifest(layers, o), tag);
  return { digest, tag, files: names.length, bytesSent, bytesSkipped, ms: Math.round(performance.now() - started) };
}

const MERGE_TRIES = 8;

/**
 * --merge as compare-and-swap: a store has no conditional write, so each round reads the tag,
 * checks just before writing that it has not moved, writes the union, waits a moment and reads
 * the tag again. Another writer that overwrote ours in between shows as a manifest missing our
 * layers: merge again. Done only when the tag holds every layer of ours.
 */
async function mergeInto(store: BlobStore, tag: string, layers: DebLayer[], o: PushOptions): Promise<string> {
  const where = `${store.name}:${tag}`;
  const ours = new Set(layers.map((l) => `${l.title} ${l.digest}`));
  for (let round = 1; round <= MERGE_TRIES; round++) {
    const before = await store.getManifest({ tag });
    const old = before ? parseManifest(before.bytes, where).layers : [];
    const titles = new Set(layers.map((l) => l.title));
    const all = [...layers, ...old.filter((l) => !titles.has(l.title))];
    const bytes = buildManifest(all, o);
    const now = await store.getManifest({ tag });
    if (now?.digest !== before?.digest) continue;
    await store.putManifest(bytes, tag);
    // another writer's PUT that read before ours shows up within this wait
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    const after = await store.getManifest({ tag });
    if (!after) continue;
    const held = new Set(parseManifest(after.bytes, where).layers.map((l) => `${l.title} ${l.digest}`));
    if ([...ours].every((k) => held.has(k))) return after.digest;
  }
  throw new ReproSourcesError('REGISTRY', where, `--merge: the tag kept changing under other writers (${MERGE_TRIES} tries); it may not list these packages: push again`, { exitCode: 1 });
}
