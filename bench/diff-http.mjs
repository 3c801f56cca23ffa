// `diff` of two ~50 MB gzipped Packages indexes served over loopback HTTP (this machine's real
// bookworm main list, and a copy with ~3000 versions bumped, 200 packages added and 100 removed)
// as two snapshots, against what one would script by hand: for both indexes in parallel,
// `curl | tee >(sha256sum) | zcat | grep-dctrl` for the same fields. Whole processes, same run.
//   npm run build && node bench/diff-http.mjs          (KEEP=1: print the commands and keep serving)
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { hyperfine, ms } from './hyperfine.mjs';

const lists = '/var/lib/apt/lists';
const src = readdirSync(lists).filter((f) => /_Packages(\.(lz4|zst|xz|gz))?$/.test(f)).map((f) => join(lists, f)).sort((x, y) => statSync(y).size - statSync(x).size)[0];
if (!src) throw new Error('no apt lists here: run apt-get update');
const text = execFileSync('/usr/lib/apt/apt-helper', ['cat-file', src], { maxBuffer: 1 << 30 }).toString('utf8');
const paras = text.split('\n\n');
const changed = [];
paras.forEach((p, i) => {
  if (i % 600 === 0 && i > 0) return; // removed
  changed.push(i % 20 === 0 ? p.replace(/^Version: (.*)$/m, 'Version: $1+bench1') : p);
});
for (let i = 0; i < 200; i++) changed.push(`Package: bench-added-${i}\nVersion: 1.0-1\nArchitecture: amd64\nDescription: added`);

const dir = mkdtempSync(join(tmpdir(), 'rs-diff-http-'));
const ids = ['20240101T000000Z', '20240201T000000Z'];
const urls = [];
for (const [i, body] of [text, changed.join('\n\n')].entries()) {
  const dists = join(dir, 'archive', 'debian', ids[i], 'dists', 'bookworm');
  mkdirSync(join(dists, 'main', 'binary-amd64'), { recursive: true });
  const gz = gzipSync(body);
  writeFileSync(join(dists, 'main', 'binary-amd64', 'Packages.gz'), gz);
  const sha = createHash('sha256').update(gz).digest('hex');
  writeFileSync(join(dists, 'Release'), `Origin: Debian\nSuite: stable\nCodename: bookworm\nComponents: main\nArchitectures: amd64\nSHA256:\n ${sha} ${gz.length} main/binary-amd64/Packages.gz\n`);
  urls.push(`archive/debian/${ids[i]}/dists/bookworm/main/binary-amd64/Packages.gz`);
}
const sources = join(dir, 'debian.sources');
writeFileSync(sources, 'Types: deb\nURIs: http://ftp.us.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');

const server = spawn(process.execPath, [join(import.meta.dirname, 'static-server.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(String(d).trim())));
const base = `http://127.0.0.1:${port}/`;
const bin = join(import.meta.dirname, '..', 'bin', 'repro-sources.js');
const ours = `${process.execPath} ${bin} diff ${sources} --from ${ids[0]} --to ${ids[1]} --snapshot-base ${base}archive/`;
const one = (u) => `curl -s ${base}${u} | tee >(sha256sum >/dev/null) | zcat | grep-dctrl -FPackage -r . -sPackage,Version,Architecture >/dev/null`;
const theirs = `bash -c '${one(urls[0])} & ${one(urls[1])} & wait'`;
try {
  if (process.env.KEEP) {
    console.log(`serving ${dir} at ${base} (pid ${server.pid}); the commands:\n${ours}\n${theirs}`);
    await new Promise(() => {});
  }
  const [curl, diff] = hyperfine([theirs, ours], { runs: Number(process.env.RUNS ?? 10) });
  console.log(`two gzipped indexes of ${(statSync(join(dir, urls[0])).size / 1e6).toFixed(1)} and ${(statSync(join(dir, urls[1])).size / 1e6).toFixed(1)} MB over loopback HTTP`);
  console.log('| command | median | ratio |');
  console.log('|---|---|---|');
  console.log(`| curl, sha256sum, zcat, grep-dctrl for both, in parallel (baseline) | ${ms(curl.median)} | 1.00x |`);
  console.log(`| repro-sources diff (node ${process.version}) | ${ms(diff.median)} | ${(diff.median / curl.median).toFixed(2)}x |`);
} finally {
  server.kill();
}
