// Shared by the benchmarks: run hyperfine on shell-free commands and return the median of each,
// so every figure can be reported as a ratio to a baseline measured in the same run.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @returns {{command: string, median: number, mean: number, stddev: number}[]} seconds */
export function hyperfine(commands, { warmup = 3, runs = 20 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rs-bench-'));
  try {
    const out = join(dir, 'h.json');
    execFileSync('hyperfine', ['-N', '--warmup', String(warmup), '--runs', String(runs), '--export-json', out, ...commands], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return JSON.parse(readFileSync(out, 'utf8')).results.map((r) => ({ command: r.command, median: r.median, mean: r.mean, stddev: r.stddev }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function ms(seconds) {
  return `${(seconds * 1000).toFixed(1)} ms`;
}
