// `fetch` of a lock: ~200 MB of .debs (FILES x SIZE_MB of random bytes) from a static server on
// loopback, against one `curl -Z` process downloading the same URLs with the same parallelism
// (8) into an empty directory. Whole processes, hyperfine medians, same run. Goal: curl's time /
// ours >= 0.8 (the throughput ratio).
//   npm run build && node bench/fetch-lock.mjs            (FILES=40 SIZE_MB=5 RUNS=9 to change)
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hyperfine, ms } from './hyperfine.mjs';

const FILES = Number(process.env.FILES ?? 40);
const SIZE = Number(process.env.SIZE_MB ?? 5) * 1e6;
const ID = '20240101T000000Z';
const work = mkdtempSync(join(tmpdir(), 'rs-bench-fetch-'));
const pool = join(work, 'srv/debian', ID, 'pool/main/b/bench');
mkdirSync(pool, { recursive: true });

// a static server in its own process (the benchmark below blocks this one)
const serverScript = `
  const { createServer } = require('node:http'); const { createReadStream, statSync } = require('node:fs'); const { join } = require('node:path');
  const root = ${JSON.stringify(join(work, 'srv'))};
  const s = createServer((req, res) => {
    const p = join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    let st; try { st = statSync(p); } catch { res.writeHead(404).end(); return; }
    if (!st.isFile()) { res.writeHead(200).end(); return; }
    res.writeHead(200, { 'content-length': st.size, 'content-type': 'application/octet-stream' });
    createReadStream(p, { highWaterMark: 1 << 20 }).pipe(res);
  });
  s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
const server = spawn(process.execPath, ['-e', serverScript], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
const base = `http://127.0.0.1:${port}/debian/${ID}/`;

try {
  const packages = [];
  for (let i = 0; i < FILES; i++) {
    const name = `bench${String(i).padStart(3, '0')}`;
    const bytes = randomBytes(SIZE);
    const filename = `pool/main/b/bench/${name}_1.0-1_amd64.deb`;
    writeFileSync(join(work, 'srv/debian', ID, filename), bytes);
    packages.push({ name, version: '1.0-1', architecture: 'amd64', source: name, filename, url: `${base}${filename}`, size: SIZE, sha256: createHash('sha256').update(bytes).digest('hex'), depends: [] });
  }
  const lock = join(work, 'bench.lock.json');
  writeFileSync(lock, JSON.stringify({
    lockfileVersion: 1,
    request: { packages: packages.map((p) => p.name), distro: 'debian', codename: 'bookworm', time: ID, architectures: ['amd64'], archives: [{ name: 'debian', snapshot: ID, url: base, suites: ['bookworm'], components: ['main'] }] },
    packages,
  }));
  const ours = join(work, 'ours');
  const theirs = join(work, 'curl');
  const cli = join(import.meta.dirname, '../bin/repro-sources.js');
  const [c, o] = hyperfine([
    `sh -c 'rm -rf ${theirs} && mkdir ${theirs} && cd ${theirs} && curl -sS --fail -Z --parallel-max 8 --remote-name-all ${packages.map((p) => p.url).join(' ')}'`,
    `sh -c 'rm -rf ${ours} && ${process.execPath} ${cli} fetch ${lock} --to ${ours} --concurrency 8'`,
  ], { warmup: 1, runs: Number(process.env.RUNS ?? 9) });
  const total = FILES * SIZE;
  const mbps = (s) => `${(total / 1e6 / s).toFixed(0)} MB/s`;
  console.log(`${FILES} files of ${SIZE / 1e6} MB (${(total / 1e6).toFixed(0)} MB), 8 at a time`);
  console.log('| command | median | throughput | ratio (curl time / ours) |');
  console.log('|---|---|---|---|');
  console.log(`| curl -Z, one process (baseline) | ${ms(c.median)} | ${mbps(c.median)} | 1.00x |`);
  console.log(`| repro-sources fetch, sha256 + size checked (node ${process.version}) | ${ms(o.median)} | ${mbps(o.median)} | ${(c.median / o.median).toFixed(2)}x |`);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
