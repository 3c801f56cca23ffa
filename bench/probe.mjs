// probe's concurrency against a loopback snapshot server with injected latency: 20 entries at
// concurrency 4 should take ceil(20/4) round trips. The baseline is one probe round trip measured
// in the same run (median of 7), times ceil(20/4). Goal: at most 1.3x.
//   npm run build && node bench/probe.mjs
import { createServer } from 'node:http';
import { probe } from '../dist/probe/probe.js';
import { createAgent } from '../dist/probe/http.js';

const LATENCY = Number(process.env.LATENCY_MS ?? 50);
const N = 20;
const CONCURRENCY = 4;
const release = (suite) => `Origin: Ubuntu\nSuite: ${suite}\nCodename: ${suite}\nDate: Tue, 14 Nov 2023 20:00:00 UTC\nArchitectures: amd64\nComponents: main\n`;
const server = createServer((req, res) => {
  const suite = /dists\/([^/]+)\//.exec(req.url)?.[1] ?? 'x';
  setTimeout(() => res.end(release(suite)), LATENCY);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;
const dispatcher = createAgent({ connections: CONCURRENCY });
const target = (suites) => ({ distro: 'ubuntu', archive: 'ubuntu', base, id: '20240101T000000Z', subdir: '', suites, components: ['main'] });

const once = [];
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  await probe([target([`s${i}`])], { dispatcher, concurrency: 1 });
  once.push(performance.now() - t0);
}
once.sort((a, b) => a - b);
const roundTrip = once[3];
const runs = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const report = await probe([target(Array.from({ length: N }, (_, k) => `suite${k}`))], { dispatcher, concurrency: CONCURRENCY });
  runs.push(performance.now() - t0);
  if (!report.ok) throw new Error('probe failed');
}
runs.sort((a, b) => a - b);
const ideal = Math.ceil(N / CONCURRENCY) * roundTrip;
console.log(`latency ${LATENCY} ms, one round trip ${roundTrip.toFixed(1)} ms, ${N} entries at concurrency ${CONCURRENCY}`);
console.log('| run | median | ratio to ceil(N/concurrency) x round trip |');
console.log('|---|---|---|');
console.log(`| probe ${N} entries | ${runs[2].toFixed(1)} ms | ${(runs[2] / ideal).toFixed(2)}x (ideal ${ideal.toFixed(1)} ms) |`);
await dispatcher.close();
server.close();
