// Startup cost of the CLI: `snapshot` and `rewrite --stdout` as a ratio to `node -e 0`
// (median of hyperfine runs, same machine, same run), no compile cache. Goal: at most 1.5x.
//   npm run build && NODE_DISABLE_COMPILE_CACHE=1 node bench/startup.mjs
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hyperfine, ms } from './hyperfine.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'rs-startup-'));
const sources = join(dir, 'debian.sources');
writeFileSync(sources, 'Types: deb\nURIs: http://ftp.us.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');

const cases = [
  [`${node} -e 0`, 'node -e 0 (baseline)'],
  [`${node} ${root}bin/repro-sources.js snapshot --epoch 1700000000`, 'bin: snapshot'],
  [`${node} ${root}bin/repro-sources.js rewrite --epoch 1700000000 --stdout ${sources}`, 'bin: rewrite --stdout'],
  [`${node} ${root}dist/repro-sources.mjs snapshot --epoch 1700000000`, 'bundle: snapshot'],
  [`${node} ${root}dist/repro-sources.mjs rewrite --epoch 1700000000 --stdout ${sources}`, 'bundle: rewrite --stdout'],
];
const results = hyperfine(cases.map((c) => c[0]), { runs: Number(process.env.RUNS ?? 30) });
const base = results[0].median;
console.log(`node ${process.version}`);
console.log('| command | median | ratio to node -e 0 |');
console.log('|---|---|---|');
results.forEach((r, i) => console.log(`| ${cases[i][1]} | ${ms(r.median)} | ${(r.median / base).toFixed(2)}x |`));
