// `cache pull` of 40 x 5 MB from a loopback docker-registry (SHA-256 of every blob on) against
// one `curl -s -Z --parallel-max 4` process fetching the same blobs (no verification), as whole
// processes taking turns: A B A B ..., each into an emptied directory; the ratio is taken pair by
// pair and its median reported (drift between pairs cancels). Throughput ratio = 1 / time ratio.
//   npm run build && node bench/pull-paired.mjs      (PAIRS=15; KEEP=1: print both commands and keep serving)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from './registry.mjs';

const PAIRS = Number(process.env.PAIRS ?? 15);
const work = mkdtempSync(join(tmpdir(), 'rs-bench-pull-'));
const debs = join(work, 'debs');
mkdirSync(debs);
const files = [];
for (let i = 0; i < 40; i++) {
  const bytes = randomBytes(5e6);
  const name = `pkg${i}_1.0-1_amd64.deb`;
  writeFileSync(join(debs, name), bytes);
  files.push({ name, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` });
}
const reg = await startRegistry();
const cli = join(import.meta.dirname, '../bin/repro-sources.js');
const env = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
const { digest } = JSON.parse(execFileSync(process.execPath, [cli, 'cache', 'push', debs, '--to', `oci://${reg.host}/bench/set:set`, '--json'], { env }).toString());
const blobs = `http://${reg.host}/v2/bench/set/blobs`;
const ourDir = join(work, 'ours');
const curlDir = join(work, 'curl');
const ours = join(work, 'ours.sh');
const curl = join(work, 'curl.sh');
writeFileSync(ours, `rm -rf ${ourDir} && exec ${process.execPath} ${cli} cache pull oci://${reg.host}/bench/set@${digest} --to ${ourDir}\n`);
writeFileSync(curl, `rm -rf ${curlDir} && mkdir ${curlDir} && exec curl -sf -s -Z --parallel-max 4 ${files.map((f) => `-o ${curlDir}/${f.name} ${blobs}/${f.digest}`).join(' ')}\n`);

const timed = (script) => {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', 'bash', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
  const [secs, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { secs, mib: kb / 1024 };
};
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
try {
  if (process.env.KEEP) {
    console.log(`registry ${reg.host}; the commands:\nbash ${ours}\nbash ${curl}`);
    await new Promise(() => {});
  }
  timed(ours);
  timed(curl);
  const ratios = [];
  const peaks = [];
  for (let i = 0; i < PAIRS; i++) {
    execFileSync('sync');
    const a = timed(ours);
    const b = timed(curl);
    ratios.push(a.secs / b.secs);
    peaks.push(a.mib);
  }
  const r = median(ratios);
  console.log(`pull 200 MB, node ${process.version}, ${PAIRS} pairs: time ratio ${r.toFixed(2)}x (median of pairs), throughput ratio ${(1 / r).toFixed(2)}x, peak RSS ${Math.max(...peaks).toFixed(0)} MiB`);
} finally {
  reg.stop();
  rmSync(work, { recursive: true, force: true });
}
