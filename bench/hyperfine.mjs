// Shared by the benchmarks: time shell-free commands with hyperfine and return the median of
// each, so every figure can be reported as a ratio to a baseline measured in the same run.
// This machine is a shared VM whose speed drifts by 2x over minutes: the commands take turns in
// short rounds (hyperfine a few runs each, order alternating) so drift hits them all alike.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PER_ROUND = 3;

/** @returns {{command: string, median: number, mean: number, stddev: number, runs: number}[]} seconds */
export function hyperfine(commands, { warmup = 3, runs = 21 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rs-bench-'));
  try {
    const times = commands.map(() => []);
    const rounds = Math.max(1, Math.ceil(runs / PER_ROUND));
    for (let r = 0; r < rounds; r++) {
      const order = commands.map((_, i) => i);
      if (r % 2 === 1) order.reverse();
      for (const i of order) {
        const out = join(dir, 'h.json');
        execFileSync('hyperfine', ['-N', '--warmup', String(r === 0 ? warmup : 1), '--runs', String(PER_ROUND), '--export-json', out, commands[i]], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        times[i].push(...JSON.parse(readFileSync(out, 'utf8')).results[0].times);
      }
    }
    return commands.map((command, i) => stats(command, times[i]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stats(command, times) {
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const stddev = Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, times.length - 1));
  return { command, median, mean, stddev, runs: times.length };
}

export function ms(seconds) {
  return `${(seconds * 1000).toFixed(1)} ms`;
}
