/**
 * serve with real parts: the signed archive behind the local snapshot server, Debian's
 * docker-registry as the cache, and real apt clients with isolated states.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedApt } from '../../src/apt/isolated-apt.js';
import { parseReference } from '../../src/oci/reference.js';
import { openStore } from '../../src/oci/store.js';
import type { BlobStore } from '../../src/oci/store.js';
import { startServe } from '../../src/serve/server.js';
import { Fetcher, type Lease } from '../../src/serve/fetch.js';
import { Metrics } from '../../src/serve/metrics.js';
import { createUpstream } from '../../src/serve/upstream.js';
import { parseRequestPath } from '../../src/serve/paths.js';
import { rewriteSources } from '../../src/rewrite/rewrite.js';
import { buildSignedArchive, debianSources, listDir, type SignedArchive } from '../helpers/archive.js';
import { startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

let archive: SignedArchive;
let upstream: SnapshotServer;
let registry: TestRegistry;
let work: string;

beforeAll(async () => {
  archive = await buildSignedArchive();
  upstream = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-serve-'));
});
afterAll(async () => {
  await upstream.stop();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
  await rm(archive.root, { recursive: true, force: true });
});

function sourcesVia(serveUrl: string): string {
  return rewriteSources(debianSources(archive.keyring), { id: '20240115T000000Z', snapshotBase: serveUrl, file: 'debian.sources' }).text;
}

async function aptInstall(name: string, serveUrl: string, pkgs: string[]): Promise<string[]> {
  const apt = await createIsolatedApt({ dir: join(work, name), sources: { 'debian.sources': sourcesVia(serveUrl) } });
  await apt.check(['update']);
  await apt.check(['install', '--download-only', '-y', ...pkgs]);
  return listDir(apt.archivesDir);
}

async function openRegistryStore(repo: string): Promise<BlobStore> {
  return openStore(parseReference(`oci://${registry.host}/${repo}`));
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('latin1').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', reject).end();
  });
}

describe('serve', () => {
  it('refuses what is not a snapshot path of a served archive', () => {
    const archives = new Set(['debian']);
    expect(parseRequestPath('/debian/20240101T000000Z/../../etc/passwd', archives)).toEqual({ status: 400, reason: 'dot segments are not allowed' });
    expect(parseRequestPath('/debian/20240101T000000Z/%2e%2e/x', archives)).toEqual({ status: 400, reason: 'dot segments are not allowed' });
    expect(parseRequestPath('/http://evil.example/x', archives)).toMatchObject({ status: 404 });
    expect(parseRequestPath('/ubuntu/20240101T000000Z/dists/x/InRelease', archives)).toEqual({ status: 404, reason: 'archive ubuntu is not served here' });
    expect(parseRequestPath('/debian/20240101T000000Z/pool/main/h/hello_1_amd64.deb', archives)).toMatchObject({ what: { kind: 'pool' } });
  });

  it('serves real apt from upstream once, then from the cache alone with upstream stopped, across serve processes', async () => {
    const store = await openRegistryStore('serve/one');
    const a = await startServe({ listen: '127.0.0.1:0', keyrings: [archive.keyring], upstreams: [upstream.debianBase], store });
    expect(await aptInstall('apt-1', a.url, ['hello', 'tool'])).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb', 'tool_1%3a3.1-2_amd64.deb']);
    expect(a.metrics.integrityFailures).toBe(0);
    expect(a.metrics.unverified).toBe(0);
    const health = await get(`${a.url}healthz`);
    expect(health).toMatchObject({ status: 200, body: 'ok\n' });
    const prom = await get(`${a.url}metrics?format=prometheus`);
    expect(prom.body).toMatch(/^repro_sources_serve_upstream_fetches \d+$/m);
    await a.close();

    // upstream gone; a new serve process that shares only the registry
    await upstream.stop();
    const b = await startServe({ listen: '127.0.0.1:0', keyrings: [archive.keyring], upstreams: [upstream.debianBase], store: await openRegistryStore('serve/one') });
    expect(await aptInstall('apt-2', b.url, ['hello', 'tool'])).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb', 'tool_1%3a3.1-2_amd64.deb']);
    expect(b.metrics.toJSON()).toMatchObject({ upstreamFetches: 0, integrityFailures: 0 });
    expect(b.metrics.hits).toBeGreaterThan(3);
    await b.close();
    upstream = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
    await store.close();
  });

  it('16 concurrent apt clients through one serve: none fails, each object is fetched from upstream once', async () => {
    upstream.setLatency(30);
    upstream.fault(/\.deb$|Packages/, [{ status: 429, headers: { 'retry-after': '0' } }, { status: 429, headers: { 'retry-after': '0' } }]);
    const store = await openRegistryStore('serve/load');
    const s = await startServe({ listen: '127.0.0.1:0', keyrings: [archive.keyring], upstreams: [upstream.debianBase], store, retries: 4 });
    const before = upstream.log.length;
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => aptInstall(`apt-load-${i}`, s.url, ['hello'])));
    for (const r of results) expect(r).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
    const fetched = upstream.log.slice(before).filter((l) => l.status === 200 && l.path.startsWith('/file/'));
    const perObject = new Map<string, number>();
    for (const l of fetched) perObject.set(l.path, (perObject.get(l.path) ?? 0) + 1);
    const twice = [...perObject].filter(([, n]) => n !== 1).map(([p]) => upstream.log.slice(before).filter((l) => l.path === p || l.path.includes('InRelease') || l.path.includes('Packages')).map((l) => `${l.status} ${l.path}`));
    expect(twice).toEqual([]);
    expect(perObject.size).toBeGreaterThan(5);
    // 16 clients x (2 Packages indexes + 2 .debs), Releases aside
    expect(s.metrics.hits + s.metrics.misses).toBe(16 * 4);
    expect(s.metrics.integrityFailures).toBe(0);
    upstream.setLatency(0);
    await s.close();
    await store.close();
    // 16 apt processes: 40-60 s alone on a loaded 2-core machine, more beside other suites
  }, 180_000);

  it('one upstream fetch for one content under two paths at once (an index identical in two archives), and each path keeps it', async () => {
    const ID = '20240101T000000Z';
    const body = Buffer.from('Package: same\nVersion: 1\n\n'.repeat(5000));
    const sha256 = createHash('sha256').update(body).digest('hex');
    const index = 'dists/bookworm/main/binary-amd64/Packages';
    const twin = await startSnapshotServer({ files: { debian: { [ID]: { [index]: body } }, 'debian-security': { [ID]: { [index]: body } } }, latencyMs: 50 });
    const tmpDir = await mkdtemp(join(work, 'fetcher-'));
    try {
      const fetcher = new Fetcher({ upstream: createUpstream({ retries: 0 }), basesFor: () => [twin.debianBase], tmpDir, metrics: new Metrics() });
      const kept: string[] = [];
      const keep = (archive: string) => async (l: Lease): Promise<void> => void kept.push(`${archive} ${l.digest} ${(await readFile(l.path)).length}`);
      const leases = await Promise.all(['debian', 'debian-security', 'debian'].map((a) => fetcher.fetch(a, ID, index, { sha256, size: body.length }, keep(a))));
      for (const l of leases) expect((await readFile(l.path)).equals(body)).toBe(true);
      expect(kept.sort()).toEqual([`debian sha256:${sha256} ${body.length}`, `debian-security sha256:${sha256} ${body.length}`]);
      expect(twin.requests(/^\/file\//).map((r) => r.status)).toEqual([200]);
      for (const l of leases) l.release();

      // a path whose archive lacks the file still gets its own answer after the shared flight fails
      const missing = 'dists/bookworm/main/binary-i386/Packages';
      const twoAnswers = await Promise.allSettled(['debian', 'debian-security'].map((a) => fetcher.fetch(a, ID, missing, { sha256, size: body.length })));
      expect(twoAnswers.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(twin.requests(/binary-i386/).map((r) => r.path)).toEqual([`/archive/debian/${ID}/${missing}`, `/archive/debian-security/${ID}/${missing}`]);
      expect(fetcher.inFlight).toBe(0);
    } finally {
      await twin.stop();
      await rm(tmpDir, { recursive: true, force: true });
    }
  });

  it('keeps answering from upstream when the registry is down, and says so in /metrics', async () => {
    const dead = await openStore(parseReference('oci://127.0.0.1:9/serve/dead'), { retries: 0 });
    const s = await startServe({ listen: '127.0.0.1:0', keyrings: [archive.keyring], upstreams: [upstream.debianBase], store: dead });
    expect(await aptInstall('apt-noreg', s.url, ['hello'])).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
    const m = JSON.parse((await get(`${s.url}metrics`)).body);
    expect(m.storeAvailable).toBe(false);
    expect(m.storeErrors).toBeGreaterThan(0);
    await s.close();
    await dead.close();
  });

  it('redirects a time between snapshots to the exact id, answers Range and HEAD, survives upstream 5xx and a client that leaves', async () => {
    const s = await startServe({ listen: '127.0.0.1:0', keyrings: [archive.keyring], upstreams: [upstream.debianBase] });
    const r = await get(`${s.url}debian/20240115T000000Z/dists/bookworm/InRelease`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/debian/20240101T000000Z/dists/bookworm/InRelease');
    upstream.fault(/bookworm\/InRelease$/, [{ status: 503 }, 'reset']);
    const full = await get(`${s.url}debian/20240101T000000Z/dists/bookworm/InRelease`);
    expect(full.status).toBe(200);
    expect(full.body).toContain('Codename: bookworm');
    const part = await get(`${s.url}debian/20240101T000000Z/dists/bookworm/InRelease`, { range: 'bytes=10-' });
    expect(part.status).toBe(206);
    expect(part.body).toBe(full.body.slice(10));
    // a client that disconnects mid-download
    await new Promise<void>((resolve) => {
      const req = request(`${s.url}debian/20240101T000000Z/dists/bookworm/InRelease`, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    expect((await get(`${s.url}healthz`)).status).toBe(200);
    await s.close();
  });
});

describe('serve (CLI)', () => {
  it('answers on loopback by default and finishes in-flight responses on SIGTERM, then exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const { BUNDLE } = await import('../helpers/cli.js');
    upstream.setLatency(600);
    const child = spawn(process.execPath, [BUNDLE, 'serve', '--listen', '127.0.0.1:0', '--keyring', archive.keyring, '--upstream', upstream.debianBase], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (let i = 0; i < 100 && !/serving on /.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)![1]!;
    expect(stderr).toBe(`repro-sources: serving on ${url} (no --cache: nothing is kept)\n`);
    const pending = get(`${url}debian/20240101T000000Z/dists/bookworm/InRelease`);
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGTERM');
    const r = await pending;
    const code = await new Promise((resolve) => child.once('exit', resolve));
    upstream.setLatency(0);
    expect(r.status).toBe(200);
    expect(r.body).toContain('Codename: bookworm');
    expect(code).toBe(0);
  });
});
