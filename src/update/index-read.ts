/**
 * The reading half of an index fetch: compressed bytes in, a version table out, fed chunk by
 * chunk by the fetch in ./index-fetch.ts, which alone decides whether what was read counts.
 */
import { PassThrough, type Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ReproSourcesError } from '../errors.js';
import { versionsOf } from './packages-diff.js';
import type { VersionTable } from './version-table.js';

/** What to read: the index's URL (for messages), its compression and the bound on its text. */
export interface ReadJob {
  url: string;
  /** '', '.gz' or '.xz' */
  ext: string;
  /** Bytes the text may inflate to. */
  plainSize: number;
  wanted?: ReadonlySet<string> | undefined;
}

export type ReadResult = { v: VersionTable } | { e: unknown };

/** One index being read. */
export interface IndexReader {
  /**
   * Resolves when the reader takes more (undefined: at once). With `free`, the chunk is the
   * caller's alone, and its memory is freed once decompressed.
   */
  write(chunk: Buffer, free?: boolean): Promise<void> | undefined;
  end(): void;
  /** Stops reading: result then settles with an error nobody reports. */
  abort(): void;
  /** True once the reader gave up (the bytes are fed no more). */
  readonly dead: boolean;
  readonly result: Promise<ReadResult>;
}

export function readIndexText(job: ReadJob): IndexReader {
  const d = decompressor(job.ext, job.url);
  let dead = false;
  d.input.on('error', () => (dead = true));
  // only gunzip's output buffers are known to be ours alone (plain text is the socket's, xz's the pipe's)
  const result = versionsOf(atMost(d.output, job.plainSize, job.url, job.ext === '.gz'), job.wanted).then(
    (v) => ({ v }),
    (e: unknown) => {
      dead = true;
      return { e };
    },
  );
  return {
    write(chunk, free) {
      // plain text goes on to the reader as it is: only a decompressor is done with its input
      const done = free === true && job.ext !== '' ? () => freeSpent(chunk) : undefined;
      if (dead || d.input.destroyed || d.input.write(chunk, done) || d.input.destroyed) return undefined;
      return drained(d.input);
    },
    end: () => d.input.end(),
    abort: () => d.input.destroy(),
    get dead() {
      return dead;
    },
    result,
  };
}

/** Resolves once `w` takes more, or is done for. */
function drained(w: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      w.off('drain', done).off('error', done).off('close', done);
      resolve();
    };
    w.on('drain', done).on('error', done).on('close', done);
  });
}

/**
 * The stream's bytes, failing past `limit`: a decompression bomb is not read to its end. With
 * `free`, each chunk the decompressor will not write to again is freed as soon as the reader is done with it
 * (the reader copies what it carries over): left to the GC, 100 MB of inflated text piles up
 * as 30-40 MB of dead buffers and a mark-compact every 40 ms.
 */
async function* atMost(s: AsyncIterable<Uint8Array>, limit: number, url: string, free: boolean): AsyncGenerator<Uint8Array> {
  let n = 0;
  for await (const chunk of s) {
    n += chunk.byteLength;
    if (n > limit) throw new ReproSourcesError('INTEGRITY', url, `it inflates to more than the ${limit} bytes its Release gives`);
    yield chunk;
    if (free) freeSpent(chunk);
  }
}

/**
 * Detaches (and so frees) the memory under a chunk that ends where its ArrayBuffer ends: zlib
 * writes into an output buffer until it is full and then takes a new one, so the slice that ends
 * it is its last. Small buffers may share Node's allocation pool: those are left alone.
 */
function freeSpent(chunk: Uint8Array): void {
  const ab = chunk.buffer as ArrayBuffer & { detached?: boolean; transfer?(length: number): ArrayBuffer };
  if (ab instanceof ArrayBuffer && ab.byteLength >= SPENT_MIN && chunk.byteOffset + chunk.byteLength === ab.byteLength && !ab.detached) ab.transfer!(0);
}

/** Above Buffer.poolSize (8 KiB) with room to spare. */
const SPENT_MIN = 64 << 10;

/** Compressed bytes in, an index's text out, by the file's extension. */
export function decompressor(ext: string, url: string): { input: Writable; output: AsyncIterable<Uint8Array> } {
  if (ext === '') {
    const through = new PassThrough();
    return { input: through, output: through };
  }
  if (ext === '.gz') {
    // 256 KiB out per callback, not 16: a 50 MB index is then 200 hand-offs to the reader, not 3,000
    const gunzip = createGunzip({ chunkSize: 256 << 10 });
    return { input: gunzip, output: gunzip };
  }
  // Node has no xz; Debian and Ubuntu hosts have xz-utils. node:child_process only for this
  // (loading it is 2-3 ms of every diff's start, and archives serve .gz)
  const xz = process.getBuiltinModule('node:child_process').spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
  xz.on('error', () => xz.stdout!.destroy(new ReproSourcesError('MISSING_TOOL', 'xz', `needed to read ${url} (apt-get install xz-utils)`)));
  return { input: xz.stdin!, output: xz.stdout! };
}
