// serve under load: 16 apt clients (isolated states) through one serve against an upstream with
// LATENCY_MS per request, counting upstream requests saved; then cache-hit throughput and latency
// with N concurrent HTTP clients asking for stored .debs, against the same files read straight
// from the registry by the same client code as the baseline. Every hit is checked against its
// digest; serve is measured with its memory tier of small objects (the default) and without it.
//   npm run build && node bench/serve.mjs
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { request, Agent } from 'undici';
import { createIsolatedApt } from '../dist/apt/isolated-apt.js';
import { rewriteSources } from '../dist/rewrite/rewrite.js';
import { startServe } from '../dist/serve/server.js';
import { openStore } from '../dist/oci/store.js';
import { parseReference } from '../dist/oci/reference.js';

const LATENCY = Number(process.env.LATENCY_MS ?? 50);
const CLIENTS = 16;
const work = mkdtempSync(join(tmpdir(), 'rs-bench-serve-'));
await build({ entryPoints: [join(import.meta.dirname, 'e2e-helpers.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(work, 'h.mjs'), logLevel: 'warning' });
const { buildSignedArchive, debianSources, startSnapshotServer, startRegistry } = await import(join(work, 'h.mjs'));
const archive = await buildSignedArchive();
const upstream = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives }, latencyMs: LATENCY });
const registry = await startRegistry();
const store = await openStore(parseReference(`oci://${registry.host}/bench/serve`));
const s = await startServe({ listen: '127.0.0.1:0', upstreams: [upstream.debianBase], store, keyrings: [archive.keyring] });
const sources = rewriteSources(debianSources(archive.keyring), { id: '20240115T000000Z', snapshotBase: s.url, file: 'd.sources' }).text;
let t0 = performance.now();
const apts = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => createIsolatedApt({ dir: join(work, `apt${i}`), sources: { 'd.sources': sources } })));
await Promise.all(apts.map(async (a) => {
  await a.check(['update']);
  await a.check(['install', '--download-only', '-y', 'hello', 'tool']);
}));
const aptMs = performance.now() - t0;
const upstreamRequests = upstream.log.length;
const clientRequests = s.metrics.requests;

// cache hits: the three .debs, asked for again and again
const paths = ['pool/main/bookworm/hello_1.0-1_amd64.deb', 'pool/main/bookworm/libhello1_1.0-1_amd64.deb', 'pool/main/bookworm/tool_3.1-2_amd64.deb'];
const agent = new Agent({ connections: 16 });
async function hammer(urlOf, n, conc) {
  const lat = [];
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < n) {
      const i = next++;
      const s0 = performance.now();
      const r = await request(urlOf(i), { dispatcher: agent });
      await r.body.arrayBuffer();
      if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}`);
      lat.push(performance.now() - s0);
    }
  }));
  lat.sort((a, b) => a - b);
  return { rps: n / ((performance.now() - t) / 1000), p50: lat[Math.floor(n * 0.5)], p99: lat[Math.floor(n * 0.99)] };
}
const N = 3000;
const viaServe = await hammer((i) => `${s.url}debian/20240101T000000Z/${paths[i % 3]}`, N, 16);
const digests = await Promise.all(paths.map(async (p) => {
  const { createHash } = await import('node:crypto');
  return `sha256:${createHash('sha256').update(readFileSync(join(archive.root, 'debian/20240101T000000Z', p))).digest('hex')}`;
}));
const direct = await hammer((i) => `http://${registry.host}/v2/bench/serve/blobs/${digests[i % 3]}`, N, 16);
const cold = await startServe({ listen: '127.0.0.1:0', upstreams: [upstream.debianBase], store, keyrings: [archive.keyring], memoryCache: { bytes: 0 } });
// its indexes come from the store: one request each to learn them
for (const p of paths) await (await request(`${cold.url}debian/20240101T000000Z/${p}`, { dispatcher: agent })).body.arrayBuffer();
const viaServeNoMemory = await hammer((i) => `${cold.url}debian/20240101T000000Z/${paths[i % 3]}`, N, 16);
const direct2 = await hammer((i) => `http://${registry.host}/v2/bench/serve/blobs/${digests[i % 3]}`, N, 16);
await cold.close();
console.log(`${CLIENTS} apt clients (update + install --download-only hello tool) through serve, upstream latency ${LATENCY} ms: ${aptMs.toFixed(0)} ms, none failed`);
console.log(`upstream requests: ${upstreamRequests} for ${clientRequests} client requests (saved ${clientRequests - upstreamRequests}, ${((1 - upstreamRequests / clientRequests) * 100).toFixed(0)}%)`);
console.log('| cache hits, 16 concurrent clients | requests/s | p50 | p99 |');
console.log('|---|---|---|---|');
console.log(`| registry blob GET, direct (baseline) | ${direct.rps.toFixed(0)} | ${direct.p50.toFixed(1)} ms | ${direct.p99.toFixed(1)} ms |`);
console.log(`| through serve | ${viaServe.rps.toFixed(0)} (${(viaServe.rps / direct.rps).toFixed(2)}x) | ${viaServe.p50.toFixed(1)} ms | ${viaServe.p99.toFixed(1)} ms |`);
console.log(`| registry blob GET, direct, again (baseline) | ${direct2.rps.toFixed(0)} | ${direct2.p50.toFixed(1)} ms | ${direct2.p99.toFixed(1)} ms |`);
console.log(`| through serve, no memory tier (every hit read from the registry) | ${viaServeNoMemory.rps.toFixed(0)} (${(viaServeNoMemory.rps / direct2.rps).toFixed(2)}x) | ${viaServeNoMemory.p50.toFixed(1)} ms | ${viaServeNoMemory.p99.toFixed(1)} ms |`);
console.log(`serve's own hit latency (stat + first byte to last): p50 ${s.metrics.percentile(50).toFixed(1)} ms, p99 ${s.metrics.percentile(99).toFixed(1)} ms`);
await s.close();
await store.close();
await agent.close();
await upstream.stop();
registry.stop ? await registry.stop() : undefined;
rmSync(work, { recursive: true, force: true });
rmSync(archive.root, { recursive: true, force: true });
