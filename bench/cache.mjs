// cache push and pull of ~200 MB of .debs against a loopback docker-registry, as a ratio to curl
// moving the same blobs (POST+PUT, GET) with the same parallelism in the same run; then the
// second push (bytes sent) and a pull into a full directory (bytes received); then peak RSS of
// one process pushing and pulling 1 GB.
//   npm run build && node bench/cache.mjs            (FILES=40 SIZE_MB=5 BIG_GB=1 to change)
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { startRegistry } from './registry.mjs';

const FILES = Number(process.env.FILES ?? 40);
const SIZE = Number(process.env.SIZE_MB ?? 5) * 1e6;
const BIG_GB = Number(process.env.BIG_GB ?? 1);
const PAR = 4;
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'rs-bench-cache-'));
const debs = join(work, 'debs');
mkdirSync(debs);
const files = [];
for (let i = 0; i < FILES; i++) {
  const name = `pkg${i}_1.0-1_amd64.deb`;
  const bytes = randomBytes(SIZE);
  writeFileSync(join(debs, name), bytes);
  files.push({ name, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` });
}
const total = FILES * SIZE;
const reg = await startRegistry();
const base = `http://${reg.host}/v2`;
const cli = join(import.meta.dirname, '../bin/repro-sources.js');
const mbps = (ms) => `${(total / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;

async function curlPush(repo) {
  const limit = pLimit(PAR);
  const t0 = performance.now();
  await Promise.all(files.map((f) => limit(async () => {
    const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-D', '-', '-X', 'POST', `${base}/${repo}/blobs/uploads/`]);
    const loc = /^location: (.*)$/im.exec(stdout)[1].trim();
    await run('curl', ['-sf', '-o', '/dev/null', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${join(debs, f.name)}`, `${loc}&digest=${f.digest}`]);
  })));
  return performance.now() - t0;
}
async function curlPull(repo, out) {
  mkdirSync(out, { recursive: true });
  const limit = pLimit(PAR);
  const t0 = performance.now();
  await Promise.all(files.map((f) => limit(() => run('curl', ['-sf', '-o', join(out, f.name), `${base}/${repo}/blobs/${f.digest}`]))));
  return performance.now() - t0;
}
function ours(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return { ms: performance.now() - t0, doc: JSON.parse(r.stdout) };
}

const curlPushMs = await curlPush('bench/curl');
const push = ours(['cache', 'push', debs, '--to', `oci://${reg.host}/bench/ours:set`]);
const curlPullMs = await curlPull('bench/curl', join(work, 'curl-out'));
const pull = ours(['cache', 'pull', `oci://${reg.host}/bench/ours@${push.doc.digest}`, '--to', join(work, 'ours-out')]);
const push2 = ours(['cache', 'push', debs, '--to', `oci://${reg.host}/bench/ours:set`]);
const pull2 = ours(['cache', 'pull', `oci://${reg.host}/bench/ours@${push.doc.digest}`, '--to', join(work, 'ours-out')]);

console.log(`${FILES} files x ${SIZE / 1e6} MB = ${total / 1e6} MB, parallelism ${PAR}, node ${process.version}`);
console.log('| transfer | curl (baseline) | repro-sources | throughput ratio (ours / curl) |');
console.log('|---|---|---|---|');
console.log(`| push | ${curlPushMs.toFixed(0)} ms (${mbps(curlPushMs)}) | ${push.ms.toFixed(0)} ms (${mbps(push.ms)}) | ${(curlPushMs / push.ms).toFixed(2)}x |`);
console.log(`| pull | ${curlPullMs.toFixed(0)} ms (${mbps(curlPullMs)}) | ${pull.ms.toFixed(0)} ms (${mbps(pull.ms)}) | ${(curlPullMs / pull.ms).toFixed(2)}x |`);
console.log(`second push: ${push2.doc.bytesSent} bytes sent (${push2.doc.bytesSkipped} skipped); pull into a full dir: ${pull2.doc.bytesReceived} bytes received`);

if (BIG_GB > 0) {
  const big = join(work, 'big');
  mkdirSync(big);
  const n = Math.round((BIG_GB * 1e9) / 100e6);
  const chunk = randomBytes(1e6);
  for (let i = 0; i < n; i++) {
    const parts = [];
    for (let k = 0; k < 100; k++) parts.push(chunk);
    // each file differs in its first bytes so the blobs are distinct
    const b = Buffer.concat(parts);
    b.writeUInt32BE(i, 0);
    writeFileSync(join(big, `big${i}_1.0-1_amd64.deb`), b);
  }
  const rss = (args) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, ...args, '--json'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return Number(r.stderr.trim().split('\n').at(-1)) / 1024;
  };
  const pushRss = rss(['cache', 'push', big, '--to', `oci://${reg.host}/bench/big:set`]);
  const listed = spawnSync(process.execPath, [cli, 'cache', 'list', `oci://${reg.host}/bench/big:set`, '--json'], { encoding: 'utf8' });
  const d = JSON.parse(listed.stdout).digest;
  const pullRss = rss(['cache', 'pull', `oci://${reg.host}/bench/big@${d}`, '--to', join(work, 'big-out')]);
  console.log(`peak RSS moving ${n * 100} MB: push ${pushRss.toFixed(0)} MB, pull ${pullRss.toFixed(0)} MB (goal < 150 MB)`);
}
reg.stop();
rmSync(work, { recursive: true, force: true });
