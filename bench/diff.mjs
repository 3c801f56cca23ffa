// diff of two ~50 MB Packages indexes (this machine's real bookworm main list, and a copy with
// ~3000 versions bumped, 200 packages added and 100 removed), as a ratio to grep-dctrl reading
// both files for the same fields; whole processes, hyperfine medians, same run. Goal: at most 2x.
//   npm run build && node bench/diff.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hyperfine, ms } from './hyperfine.mjs';

const lists = '/var/lib/apt/lists';
const src = readdirSync(lists).filter((f) => /_Packages(\.(lz4|zst|xz|gz))?$/.test(f)).map((f) => join(lists, f)).sort((x, y) => statSync(y).size - statSync(x).size)[0];
if (!src) throw new Error('no apt lists here: run apt-get update');
const dir = mkdtempSync(join(tmpdir(), 'rs-diff-'));
const a = join(dir, 'Packages.a');
const b = join(dir, 'Packages.b');
const text = execFileSync('/usr/lib/apt/apt-helper', ['cat-file', src], { maxBuffer: 1 << 30 }).toString('utf8');
writeFileSync(a, text);
const paras = text.split('\n\n');
const out = [];
paras.forEach((p, i) => {
  if (i % 600 === 0 && i > 0) return; // removed
  out.push(i % 20 === 0 ? p.replace(/^Version: (.*)$/m, 'Version: $1+bench1') : p);
});
for (let i = 0; i < 200; i++) out.push(`Package: bench-added-${i}\nVersion: 1.0-1\nArchitecture: amd64\nDescription: added`);
writeFileSync(b, out.join('\n\n'));
const runner = join(import.meta.dirname, 'diff-packages.mjs');
const [grep, ours] = hyperfine([
  `grep-dctrl -FPackage -r . -sPackage,Version,Architecture ${a} ${b}`,
  `${process.execPath} ${runner} ${a} ${b}`,
], { runs: Number(process.env.RUNS ?? 10) });
const summary = execFileSync(process.execPath, [runner, a, b, '--print']).toString().trim();
console.log(`two indexes of ${(statSync(a).size / 1e6).toFixed(1)} and ${(statSync(b).size / 1e6).toFixed(1)} MB: ${summary}`);
console.log('| reader | median | ratio to grep-dctrl |');
console.log('|---|---|---|');
console.log(`| grep-dctrl reading both (baseline) | ${ms(grep.median)} | 1.00x |`);
console.log(`| repro-sources diff of both (node ${process.version}) | ${ms(ours.median)} | ${(ours.median / grep.median).toFixed(2)}x |`);
