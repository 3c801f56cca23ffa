/**
 * Local files read synchronously in big blocks: for a CLI that is several times cheaper than a
 * read stream, which pays a thread-pool round trip per 64 KiB. Not for servers (each read
 * blocks the event loop for a moment).
 */
// Builtins taken with process.getBuiltinModule, not ESM imports: a program that only reads an
// index through fileChunks would otherwise load node:crypto and node:fs's module namespaces (with
// fs/promises and the stream modules), 8 ms of its start (31 M instructions, callgrind).
const { closeSync, openSync, readSync, writeSync } = process.getBuiltinModule('node:fs');

const BLOCK = 1 << 20;

/**
 * The file as chunks for the streaming readers: each chunk a fresh Buffer of up to `size` bytes,
 * or with `reuse`, views of one Buffer that the next chunk overwrites (for a consumer done with
 * each chunk before it asks for the next, as the deb822 reader is: fresh memory for every chunk
 * costs a page fault per 4 KiB).
 */
export async function* fileChunks(path: string, size = 256 << 10, options: { reuse?: boolean } = {}): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    let buf: Buffer | undefined;
    for (;;) {
      if (buf === undefined || !options.reuse) buf = Buffer.allocUnsafeSlow(size);
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) return;
      yield n === size ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** The file through one reused block: each chunk is valid only during the call. Returns the size. */
export function readFileInto(path: string, sink: (chunk: Buffer) => void): number {
  const buf = Buffer.allocUnsafe(BLOCK);
  const fd = openSync(path, 'r');
  let size = 0;
  try {
    for (let n; (n = readSync(fd, buf, 0, BLOCK, null)) > 0; size += n) sink(n === BLOCK ? buf : buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return size;
}

/** sha256 (as an OCI digest) and size of a file. */
export function hashFile(path: string): { digest: string; size: number } {
  const h = process.getBuiltinModule('node:crypto').createHash('sha256');
  const size = readFileInto(path, (c) => h.update(c));
  return { digest: `sha256:${h.digest('hex')}`, size };
}

/** Writes all of data at the file's position (a regular file may take less per call). */
export function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}
