/**
 * A local file as chunks for the streaming readers, read synchronously: for a CLI reading a
 * big index that is faster than a stream, which waits on a thread-pool round trip per chunk.
 * Not for servers (it blocks the event loop for each read).
 */
import { closeSync, openSync, readSync } from 'node:fs';

export async function* fileChunks(path: string, size = 256 << 10): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) return;
      yield n === size ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}
