// Warm path vs snapshot path: time to `apt-get install --download-only` a package set
//   (a) from the local snapshot server with LATENCY_MS (default 100) injected per request, and
//   (b) from the OCI cache (cache pull, then apt) with the snapshot server stopped,
// both with real apt in an isolated state over the signed test archive. Reports median of RUNS.
//   npm run build && node bench/e2e.mjs
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { createIsolatedApt } from '../dist/apt/isolated-apt.js';

const LATENCY = Number(process.env.LATENCY_MS ?? 100);
const RUNS = Number(process.env.RUNS ?? 3);
const here = import.meta.dirname;
const work = mkdtempSync(join(tmpdir(), 'rs-bench-e2e-'));
// the test helpers are TypeScript: bundle them for this script
await build({ entryPoints: [join(here, 'e2e-helpers.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(work, 'helpers.mjs'), logLevel: 'warning' });
const { buildSignedArchive, debianSources, startSnapshotServer } = await import(join(work, 'helpers.mjs'));
const cli = join(here, '../dist/repro-sources.mjs');
const sh = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, SOURCE_DATE_EPOCH: '1705276800' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const PKGS = ['hello', 'tool'];
const archive = await buildSignedArchive();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const a = [];
const b = [];
for (let i = 0; i < RUNS; i++) {
  const server = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives }, latencyMs: LATENCY });
  const root = join(work, `root${i}`);
  mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
  writeFileSync(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(archive.keyring));
  sh(['rewrite', '--root', root, '--snapshot-base', server.debianBase]);
  const apt = await createIsolatedApt({ dir: join(work, `apt${i}`), sources: { 'debian.sources': readFileSync(join(root, 'etc/apt/sources.list.d/debian.sources')) } });
  await apt.check(['update']);
  let t0 = performance.now();
  await apt.check(['install', '--download-only', '-y', ...PKGS]);
  a.push(performance.now() - t0);
  const layout = join(work, `layout${i}`);
  const digest = sh(['cache', 'push', apt.archivesDir, '--to', `oci-layout:${layout}:set`, '--root', root]);
  for (const f of readdirSync(apt.archivesDir)) if (f.endsWith('.deb')) rmSync(join(apt.archivesDir, f));
  await server.stop();
  t0 = performance.now();
  sh(['cache', 'pull', `oci-layout:${layout}@${digest}`, '--to', apt.archivesDir]);
  await apt.check(['install', '--download-only', '-y', ...PKGS]);
  b.push(performance.now() - t0);
}
console.log(`apt-get install --download-only ${PKGS.join(' ')} (3 .debs), ${LATENCY} ms per request, median of ${RUNS}`);
console.log('| path | median | ratio |');
console.log('|---|---|---|');
console.log(`| (a) snapshot server, ${LATENCY} ms latency (baseline) | ${median(a).toFixed(0)} ms | 1.00x |`);
console.log(`| (b) cache pull from OCI layout + apt, server stopped | ${median(b).toFixed(0)} ms | ${(median(a) / median(b)).toFixed(2)}x faster |`);
rmSync(work, { recursive: true, force: true });
rmSync(archive.root, { recursive: true, force: true });
