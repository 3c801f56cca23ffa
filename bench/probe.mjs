// probe's concurrency against the local snapshot server (test/helpers/snapshot-server.ts) with
// LATENCY_MS (default 50) injected into every answer: 20 entries at concurrency 4.
//   Ubuntu layout: one request per entry, so the ideal is ceil(20/4) x latency.
//   Debian layout: one resolve, then per entry the InRelease answer is a 302 to /file/<sha1>,
//   two round trips in one slot, so the ideal is latency + ceil(20/4) x 2 x latency.
// Reports the median of RUNS (default 5) as a ratio to the ideal, and to one single-entry probe
// measured in the same run times the number of rounds. Goal: at most 1.3x the ideal.
//   npm run build && node bench/probe.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { probe } from '../dist/probe/probe.js';
import { createAgent } from '../dist/net/agent.js';

const LATENCY = Number(process.env.LATENCY_MS ?? 50);
const RUNS = Number(process.env.RUNS ?? 5);
const N = 20;
const CONCURRENCY = 4;
const ID = '20240101T000000Z';
const work = mkdtempSync(join(tmpdir(), 'rs-bench-probe-'));
await build({ entryPoints: [join(import.meta.dirname, '../test/helpers/snapshot-server.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(work, 'server.mjs'), logLevel: 'warning' });
const { startSnapshotServer, releaseText } = await import(join(work, 'server.mjs'));

const suites = Array.from({ length: N }, (_, k) => `suite${k}`);
const tree = Object.fromEntries(suites.map((s) => [`dists/${s}/InRelease`, releaseText({ suite: s, codename: s, components: ['main'] })]));
const server = await startSnapshotServer({ files: { ubuntu: { [ID]: tree }, debian: { [ID]: tree } }, latencyMs: LATENCY });
const dispatcher = createAgent({ connections: CONCURRENCY });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const target = (distro, ss) => ({ distro, archive: distro, base: distro === 'ubuntu' ? server.ubuntuBase : server.debianBase, id: ID, subdir: '', suites: ss, components: ['main'] });

async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

console.log(`latency ${LATENCY} ms, ${N} entries at concurrency ${CONCURRENCY}, median of ${RUNS}`);
console.log('| layout | median | ideal | ratio to ideal | one entry x rounds | ratio to that |');
console.log('|---|---|---|---|---|---|');
for (const [distro, ideal, rounds] of [
  ['ubuntu', Math.ceil(N / CONCURRENCY) * LATENCY, Math.ceil(N / CONCURRENCY)],
  ['debian', LATENCY + Math.ceil(N / CONCURRENCY) * 2 * LATENCY, null],
]) {
  const single = [];
  for (let i = 0; i < RUNS; i++) single.push(await timed(() => probe([target(distro, ['suite0'])], { dispatcher, concurrency: 1 })));
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(
      await timed(async () => {
        const report = await probe([target(distro, suites)], { dispatcher, concurrency: CONCURRENCY });
        if (!report.ok) throw new Error(`probe failed: ${JSON.stringify(report.entries.find((e) => !e.ok))}`);
      }),
    );
  }
  const m = median(runs);
  // one entry costs (for debian) a resolve plus two hops; the parallel run pays the resolve once
  const oneRounds = rounds === null ? LATENCY + Math.ceil(N / CONCURRENCY) * (median(single) - LATENCY) : rounds * median(single);
  console.log(`| ${distro} | ${m.toFixed(1)} ms | ${ideal} ms | ${(m / ideal).toFixed(2)}x | ${oneRounds.toFixed(1)} ms | ${(m / oneRounds).toFixed(2)}x |`);
}
await dispatcher.close();
await server.stop();
rmSync(work, { recursive: true, force: true });
