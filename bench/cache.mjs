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
// one curl process fetching every blob, four at a time (no process start per blob); with
// verify, then `openssl dgst -sha256` checking every file (SHA-NI; coreutils' sha256sum was 2.5x
// slower here): the same job as ours, which hashes as it receives
async function curlPullOne(repo, out, verify) {
  mkdirSync(out, { recursive: true });
  const args = ['-sf', '-Z', '--parallel-max', String(PAR)];
  for (const f of files) args.push('-o', join(out, f.name), `${base}/${repo}/blobs/${f.digest}`);
  const t0 = performance.now();
  await run('curl', args);
  if (verify) {
    const { stdout } = await run('openssl', ['dgst', '-sha256', '-r', ...files.map((f) => join(out, f.name))], { maxBuffer: 1 << 24 });
    const sums = stdout.trim().split('\n').map((l) => `sha256:${l.slice(0, 64)}`);
    if (sums.some((d, i) => d !== files[i].digest)) throw new Error('curl fetched other bytes');
  }
  return performance.now() - t0;
}
function ours(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return { ms: performance.now() - t0, doc: JSON.parse(r.stdout) };
}

// The machine's speed drifts: curl and ours take turns, ROUNDS times, and each figure is the median.
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const t = { curlPush: [], push: [], curlPull: [], curlPullOne: [], curlPullSum: [], pull: [] };
let pushed;
for (let r = 0; r < ROUNDS; r++) {
  // every round pushes to new repositories, so every round uploads every byte
  const steps = [
    async () => t.curlPush.push(await curlPush(`bench/curl${r}`)),
    async () => {
      pushed = ours(['cache', 'push', debs, '--to', `oci://${reg.host}/bench/ours${r}:set`]);
      t.push.push(pushed.ms);
    },
  ];
  for (const step of r % 2 ? steps.reverse() : steps) await step();
  const pulls = [
    async () => t.curlPull.push(await curlPull(`bench/curl${r}`, join(work, `curl-out${r}`))),
    async () => t.curlPullOne.push(await curlPullOne(`bench/curl${r}`, join(work, `curl1-out${r}`), false)),
    async () => t.curlPullSum.push(await curlPullOne(`bench/curl${r}`, join(work, `curl2-out${r}`), true)),
    async () => t.pull.push(ours(['cache', 'pull', `oci://${reg.host}/bench/ours${r}@${pushed.doc.digest}`, '--to', join(work, `ours-out${r}`)]).ms),
  ];
  for (const step of r % 2 ? pulls.reverse() : pulls) await step();
  rmSync(join(work, `curl-out${r}`), { recursive: true });
  rmSync(join(work, `ours-out${r}`), { recursive: true });
  rmSync(join(work, `curl1-out${r}`), { recursive: true });
  rmSync(join(work, `curl2-out${r}`), { recursive: true });
}
const last = `oci://${reg.host}/bench/ours${ROUNDS - 1}`;
mkdirSync(join(work, 'full'));
ours(['cache', 'pull', `${last}@${pushed.doc.digest}`, '--to', join(work, 'full')]);
const push2 = ours(['cache', 'push', debs, '--to', `${last}:set`]);
const pull2 = ours(['cache', 'pull', `${last}@${pushed.doc.digest}`, '--to', join(work, 'full')]);
const [curlPushMs, pushMs, curlPullMs, curlPullOneMs, curlPullSumMs, pullMs] = [t.curlPush, t.push, t.curlPull, t.curlPullOne, t.curlPullSum, t.pull].map(median);

console.log(`${FILES} files x ${SIZE / 1e6} MB = ${total / 1e6} MB, parallelism ${PAR}, node ${process.version}, medians of ${ROUNDS} alternating rounds`);
// each round's own ratio too: the two ran minutes apart at most, so drift between rounds cancels
const paired = (base, ours) => median(base.map((b, r) => b / ours[r])).toFixed(2);
console.log('| transfer | baseline | repro-sources (whole CLI process) | throughput ratio of the medians (ours / baseline) | median of the rounds\' own ratios |');
console.log('|---|---|---|---|---|');
console.log(`| push | curl, a process per blob: ${curlPushMs.toFixed(0)} ms (${mbps(curlPushMs)}) | ${pushMs.toFixed(0)} ms (${mbps(pushMs)}) | ${(curlPushMs / pushMs).toFixed(2)}x | ${paired(t.curlPush, t.push)}x |`);
console.log(`| pull | curl, a process per blob: ${curlPullMs.toFixed(0)} ms (${mbps(curlPullMs)}) | ${pullMs.toFixed(0)} ms (${mbps(pullMs)}) | ${(curlPullMs / pullMs).toFixed(2)}x | ${paired(t.curlPull, t.pull)}x |`);
console.log(`| pull | one curl -Z process: ${curlPullOneMs.toFixed(0)} ms (${mbps(curlPullOneMs)}) | ${pullMs.toFixed(0)} ms (${mbps(pullMs)}) | ${(curlPullOneMs / pullMs).toFixed(2)}x | ${paired(t.curlPullOne, t.pull)}x |`);
console.log(`| pull | curl -Z then openssl dgst -sha256: ${curlPullSumMs.toFixed(0)} ms (${mbps(curlPullSumMs)}) | ${pullMs.toFixed(0)} ms (${mbps(pullMs)}) | ${(curlPullSumMs / pullMs).toFixed(2)}x | ${paired(t.curlPullSum, t.pull)}x |`);
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
