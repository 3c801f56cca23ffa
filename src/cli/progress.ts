/** A one-line progress bar on a terminal; nothing at all elsewhere (CI logs, pipes, --json). */
import type { CliIo } from './io.js';

export interface Progress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function progressBar(io: CliIo, enabled: boolean): { update(p: Progress): void; done(): void } {
  if (!enabled || !io.stderr.isTTY) return { update() {}, done() {} };
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (now - last < 100 && p.files < p.totalFiles) return;
      last = now;
      const width = 24;
      const fill = p.totalBytes > 0 ? Math.round((p.bytes / p.totalBytes) * width) : width;
      io.stderr.write(`\r[${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${p.files}/${p.totalFiles} files ${formatBytes(p.bytes)}/${formatBytes(p.totalBytes)}`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr.write('\r\x1b[K');
    },
  };
}
