// The deb822 paragraph reader on a ~50 MB Packages index, as a ratio to grep-dctrl reading the
// same file and selecting the same fields (whole processes, hyperfine medians, same run).
// Goal: at most 1.2x, peak RSS at most 64 MB. The index is this machine's real bookworm main amd64 list (decompressed
// with apt-helper) when present, else PACKAGES=<file>.
//   npm run build && node bench/deb822.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hyperfine, ms } from './hyperfine.mjs';

function biggestList() {
  const lists = '/var/lib/apt/lists';
  const files = readdirSync(lists).filter((f) => /_Packages(\.(lz4|zst|xz|gz))?$/.test(f)).map((f) => join(lists, f));
  files.sort((a, b) => statSync(b).size - statSync(a).size);
  if (files.length === 0) throw new Error('no apt lists here: run apt-get update, or set PACKAGES=<a Packages file>');
  const out = join(mkdtempSync(join(tmpdir(), 'rs-deb822-')), 'Packages');
  writeFileSync(out, execFileSync('/usr/lib/apt/apt-helper', ['cat-file', files[0]], { maxBuffer: 1 << 30 }));
  return out;
}

const file = process.env.PACKAGES ?? biggestList();
const reader = fileURLToPath(new URL('./read-packages.mjs', import.meta.url));
const size = statSync(file).size;
const [grep, ours] = hyperfine(
  [`grep-dctrl -FPackage -r . -sPackage,Version,Architecture,SHA256 ${file}`, `${process.execPath} ${reader} ${file}`],
  { runs: Number(process.env.RUNS ?? 15) },
);
const rss = execFileSync(process.execPath, [reader, file, '--print']).toString().trim();
console.log(`index: ${(size / 1e6).toFixed(1)} MB, paragraphs and peak: ${rss}`);
console.log('| reader | median | ratio to grep-dctrl |');
console.log('|---|---|---|');
console.log(`| grep-dctrl (baseline) | ${ms(grep.median)} | 1.00x |`);
console.log(`| repro-sources readParagraphBatches (node ${process.version}) | ${ms(ours.median)} | ${(ours.median / grep.median).toFixed(2)}x |`);
