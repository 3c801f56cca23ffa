/**
 * Every network-facing command against servers and networks that are not kind (the kit in
 * test/helpers/hostile.ts): python's HTTP/1.0 http.server as an upstream, indexes cut off or
 * corrupt, a blob redirect whose target fails once, a counting forward proxy (absolute-form http,
 * CONNECT with a test CA) and no_proxy. The built CLI, exact exit codes, one-line stderr, and
 * what reached the servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../../src/net/agent.js';
import { diffSnapshots } from '../../src/update/diff.js';
import { serializeLockfile, type Lockfile } from '../../src/lock/lockfile.js';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { buildDebs } from '../helpers/debs.js';
import { makeTestCa, startForwardProxy, startPythonServer, startTlsTerminator, type ForwardProxy, type PythonServer, type TestCa } from '../helpers/hostile.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { BOOKWORM, bookwormSnapshots, releaseText, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';

const ID1 = '20240101T000000Z';
const TOOL_PATH = 'pool/main/t/tool/tool_1.0_amd64.deb';
const TOOL = Buffer.from('not really a deb: tool, fetched through a proxy\n');
/** A bound for one CLI run, generous: the machines that run this are shared and often loaded. */
const SLOW = 120_000;
const ID2 = '20240201T000000Z';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

let work: string;
let sources: string;

/** A Packages index of `count` paragraphs (random descriptions: it barely compresses); pkg-7 at version `v7`. */
function packagesText(count: number, seed: Buffer, v7: string): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = seed.subarray((i * 560) % (seed.length - 560), ((i * 560) % (seed.length - 560)) + 560);
    out.push(
      `Package: pkg-${i}\nVersion: ${i === 7 ? v7 : '1.0-1'}\nArchitecture: amd64\nFilename: pool/main/p/pkg-${i}/pkg-${i}_1.0-1_amd64.deb\nSize: 1000\nSHA256: ${sha(r)}\nDescription: ${r.toString('base64').slice(0, 700)}\n`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** dists/bookworm of one snapshot: a Release (no InRelease) listing one Packages.gz, plus extra files. */
function snapshotFiles(gz: Buffer, extra: Record<string, Buffer> = {}): Record<string, Buffer | string> {
  return {
    'dists/bookworm/Release': releaseText({ suite: 'stable', codename: 'bookworm', components: ['main'], architectures: ['amd64'], files: { 'main/binary-amd64/Packages.gz': gz } }),
    'dists/bookworm/main/binary-amd64/Packages.gz': gz,
    ...extra,
  };
}

async function writeTree(root: string, archive: string, id: string, files: Record<string, Buffer | string>): Promise<void> {
  for (const [p, c] of Object.entries(files)) {
    const full = join(root, 'archive', archive, id, p);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, c);
  }
}

/** `serve` as a process; resolves once it says where it listens. */
async function startServeCli(args: string[], env: Record<string, string | undefined>): Promise<{ url: string; child: ChildProcess; stderr: () => string; stop(): Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--listen', '127.0.0.1:0', ...args], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /serving on (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
  return {
    url,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return child.exitCode;
      const done = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      child.kill('SIGTERM');
      return done;
    },
  };
}

function get(url: string, o: { slow?: boolean } = {}): Promise<{ status: number; sha256: string; size: number }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      const h = createHash('sha256');
      let size = 0;
      res.on('data', (c: Buffer) => {
        h.update(c);
        size += c.length;
        // a slow consumer: the sender meets backpressure all the way
        if (o.slow) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, sha256: h.digest('hex'), size }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rs-hostile-'));
  sources = join(work, 'debian.list');
  await writeFile(sources, 'deb http://ftp.de.debian.org/debian bookworm main\n');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('python http.server (HTTP/1.0, bodies ended by close) as the upstream', () => {
  let py: PythonServer;
  let big: Buffer;
  let gz1: Buffer;

  beforeAll(async () => {
    const seed = randomBytes(12 << 20);
    gz1 = gzipSync(packagesText(14_000, seed, '1.0-1'));
    const gz2 = gzipSync(packagesText(14_000, seed, '1.0-2'));
    expect(gz1.length).toBeGreaterThan(8_000_000);
    big = randomBytes(40 << 20);
    const root = join(work, 'py');
    await writeTree(root, 'debian', ID1, snapshotFiles(gz1, { 'pool/main/b/big/big_1.0_amd64.deb': big }));
    await writeTree(root, 'debian', ID2, snapshotFiles(gz2));
    py = await startPythonServer(root);
  }, 4 * SLOW);
  afterAll(async () => py?.stop());

  it('diff of two 8 MB Packages.gz, three runs: exit 0 and the one change each time', async () => {
    for (let run = 0; run < 3; run++) {
      const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', `${py.url}/archive/`], { timeoutMs: SLOW });
      expect(r).toEqual({ code: 0, stdout: `debian ${ID1} -> ${ID2}: 1 changed, 0 added, 0 removed\n  ~ pkg-7 amd64 1.0-1 -> 1.0-2\n`, stderr: '' });
    }
  }, 400_000);

  it('serve: 24 requests for a 40 MB .deb, 8 at a time, one reader slow: every body intact, serve still up', async () => {
    const serve = await startServeCli(['--upstream', `${py.url}/archive/`], cleanEnv());
    try {
      const url = `${serve.url}debian/${ID1}/pool/main/b/big/big_1.0_amd64.deb`;
      for (let round = 0; round < 3; round++) {
        const got = await Promise.all(Array.from({ length: 8 }, (_, i) => get(url, { slow: i === 0 })));
        expect(got).toEqual(Array(8).fill({ status: 200, sha256: sha(big), size: big.length }));
      }
      expect((await get(`${serve.url}healthz`)).status).toBe(200);
      expect(serve.child.exitCode).toBe(null);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  }, 400_000);
});

describe('diff against indexes that break', { timeout: 4 * SLOW }, () => {
  let server: SnapshotServer;
  let gz1: Buffer;
  const base = (): string => server.debianBase;

  beforeAll(async () => {
    const seed = randomBytes(1 << 20);
    gz1 = gzipSync(packagesText(2_000, seed, '1.0-1'));
    const gz2 = gzipSync(packagesText(2_000, seed, '1.0-2'));
    server = await startSnapshotServer({ files: { debian: { [ID1]: snapshotFiles(gz1), [ID2]: snapshotFiles(gz2) } } });
  });
  afterAll(async () => server.stop());
  const index = (): RegExp => new RegExp(`/file/${sha1(gz1)}$`);
  const indexUrl = (): string => `${base()}debian/${ID1}/dists/bookworm/main/binary-amd64/Packages.gz`;

  it('an index cut off once is fetched again from byte 0 and the diff succeeds', async () => {
    server.fault(index(), ['cut']);
    const before = server.requests(index()).length;
    const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', base()], { timeoutMs: SLOW });
    expect(r).toEqual({ code: 0, stdout: `debian ${ID1} -> ${ID2}: 1 changed, 0 added, 0 removed\n  ~ pkg-7 amd64 1.0-1 -> 1.0-2\n`, stderr: '' });
    expect(server.requests(index()).length - before).toBe(2);
  });

  it('an index cut off every time: exit 1, one line naming it, a bounded number of fetches', async () => {
    server.fault(index(), Array(20).fill('cut'));
    const before = server.requests(index()).length;
    const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', base()], { timeoutMs: SLOW });
    server.clearFaults();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^repro-sources: ${indexUrl().replace(/[.?]/g, '\\$&')}: the body broke off after \\d+ of ${gz1.length} bytes \\(.+\\) \\(3 fetches\\)\\n$`));
    expect(server.requests(index()).length - before).toBe(3);
  });

  it('an index whose body stalls: the idle timeout ends that fetch, the next one from byte 0 succeeds', async () => {
    server.fault(index(), ['stall']);
    const before = server.requests(index()).length;
    const dispatcher = createAgent({ bodyTimeoutMs: 300 });
    const sleeps: number[] = [];
    const r = await diffSnapshots({
      files: [{ path: sources, content: await readFile(sources) }],
      from: ID1,
      to: ID2,
      snapshotBase: base(),
      fetch: { dispatcher, sleep: async (ms) => void sleeps.push(ms) },
    }).finally(() => dispatcher.close());
    expect(r.archives.map((a) => a.changed.map((c) => `${c.package} ${c.from} -> ${c.to}`))).toEqual([['pkg-7 1.0-1 -> 1.0-2']]);
    expect(server.requests(index()).length - before).toBe(2);
    // one wait of the policy's backoff before the second fetch
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(250);
  });

  it('a corrupt index: exit 1, one line naming it as corrupt, and not a zlib error', async () => {
    const bad = Buffer.from(gz1);
    bad[bad.length >> 1] ^= 0xff;
    server.fault(index(), [{ status: 200, body: bad.toString('latin1') }]);
    const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', base()], { timeoutMs: SLOW });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^repro-sources: ${indexUrl().replace(/[.?]/g, '\\$&')}: digest mismatch: expected sha256:${sha(gz1)} \\(${gz1.length} bytes, from the Release\\), got (sha256:[0-9a-f]{64} \\(\\d+ bytes\\)|more than \\d+ bytes): a corrupt index\\n$`));
  });

  it('an index that inflates past the size its Release gives for the plain Packages: exit 1, one line, though its .gz matches', async () => {
    const release = releaseText({ suite: 'stable', codename: 'bookworm', components: ['main'], architectures: ['amd64'], files: { 'main/binary-amd64/Packages.gz': gz1, 'main/binary-amd64/Packages': Buffer.alloc(1000) } });
    server.fault(new RegExp(`/${ID1}/dists/bookworm/(In)?Release$`), [{ status: 404 }, { status: 200, body: release }]);
    const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', base()], { timeoutMs: SLOW });
    server.clearFaults();
    expect(r).toEqual({ code: 1, stdout: '', stderr: `repro-sources: ${indexUrl()}: it inflates to more than the 1000 bytes its Release gives\n` });
  });
});

describe('through a forward proxy (http_proxy, https_proxy, no_proxy)', { timeout: 4 * SLOW }, () => {
  let server: SnapshotServer;
  let proxy: ForwardProxy;
  let ca: TestCa;
  let tls: { port: number; stop(): Promise<void> };
  let registry: TestRegistry;
  let env: Record<string, string | undefined>;
  let probeFile: string;
  const SNAP = 'http://snap.invalid/archive/';
  const port = (s: { url: string }): number => Number(new URL(s.url).port);
  /** What the proxy saw during fn. */
  const seen = async <T>(fn: () => Promise<T>): Promise<{ result: T; log: typeof proxy.log }> => {
    const before = proxy.log.length;
    const result = await fn();
    return { result, log: proxy.log.slice(before) };
  };

  beforeAll(async () => {
    const seed = randomBytes(1 << 20);
    const bookworm = bookwormSnapshots();
    server = await startSnapshotServer({
      files: { ...bookworm, debian: { ...bookworm.debian, [ID1]: snapshotFiles(gzipSync(packagesText(500, seed, '1.0-1')), { [TOOL_PATH]: TOOL }), [ID2]: snapshotFiles(gzipSync(packagesText(500, seed, '1.0-2'))) } },
    });
    ca = await makeTestCa(['secure.invalid']);
    tls = await startTlsTerminator(ca, port(server));
    registry = await startRegistry();
    proxy = await startForwardProxy({ hosts: { 'snap.invalid': port(server), 'secure.invalid': tls.port, 'registry.invalid': Number(registry.host.split(':')[1]) } });
    env = cleanEnv({ http_proxy: proxy.url, https_proxy: proxy.url, NODE_EXTRA_CA_CERTS: ca.caFile, SOURCE_DATE_EPOCH: '1700000000' });
    probeFile = join(work, 'probe.sources');
    await writeFile(probeFile, 'Types: deb\nURIs: http://ftp.de.debian.org/debian\nSuites: bookworm\nComponents: main\n');
  }, 4 * SLOW);
  afterAll(async () => {
    await proxy?.stop();
    await tls?.stop();
    await server?.stop();
    await registry?.stop();
    await ca?.remove();
  });

  it('diff over http: every request reaches the server through the proxy, in absolute form', async () => {
    const before = server.log.length;
    const { result: r, log } = await seen(() => runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', SNAP], { env, timeoutMs: SLOW }));
    expect(r).toEqual({ code: 0, stdout: `debian ${ID1} -> ${ID2}: 1 changed, 0 added, 0 removed\n  ~ pkg-7 amd64 1.0-1 -> 1.0-2\n`, stderr: '' });
    expect(log.length).toBe(server.log.length - before);
    expect(log.every((l) => l.kind === 'http' && l.target.startsWith('http://snap.invalid/'))).toBe(true);
    expect(log.map((l) => l.target)).toContain(`${SNAP}debian/${ID1}/dists/bookworm/main/binary-amd64/Packages.gz`);
  });

  it('probe over https: a CONNECT tunnel, the test CA from NODE_EXTRA_CA_CERTS', async () => {
    const { result: r, log } = await seen(() => runCli(['probe', '--snapshot-base', 'https://secure.invalid/archive/', '--snapshot', BOOKWORM.D2, probeFile], { env, timeoutMs: SLOW }));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/^repro-sources: probe: 1 of 1 available in \d+ ms\n$/) });
    expect(r.stdout.split('\n')[1]!.split(/\s+/).slice(0, 6).join(' ')).toBe(`ok debian bookworm ${BOOKWORM.D2} 0s 200`);
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((l) => l.kind === 'connect' && l.target === 'secure.invalid:443')).toBe(true);
  });

  it('probe over HTTP/2 (a server that speaks nothing else): the HTTP/2 client of undici, with node:http2 loaded on first use, answers as over HTTP/1.1', async () => {
    const h2ca = await makeTestCa(['localhost']);
    let streams = 0;
    const h2 = createSecureServer({ key: h2ca.key, cert: h2ca.cert }, (req, res) => {
      streams++;
      fetch(`http://127.0.0.1:${port(server)}${req.url}`, { method: req.method, redirect: 'manual' }).then(
        async (up) => {
          const headers: Record<string, string> = {};
          for (const k of ['content-type', 'location', 'retry-after']) if (up.headers.get(k) !== null) headers[k] = up.headers.get(k)!;
          res.writeHead(up.status, headers).end(Buffer.from(await up.arrayBuffer()));
        },
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((r) => h2.listen(0, r));
    try {
      const r = await runCli(['probe', '--snapshot-base', `https://localhost:${(h2.address() as AddressInfo).port}/archive/`, '--snapshot', BOOKWORM.D2, probeFile], { env: cleanEnv({ NODE_EXTRA_CA_CERTS: h2ca.caFile, SOURCE_DATE_EPOCH: '1700000000' }), timeoutMs: SLOW });
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/^repro-sources: probe: 1 of 1 available in \d+ ms\n$/) });
      expect(r.stdout.split('\n')[1]!.split(/\s+/).slice(0, 6).join(' ')).toBe(`ok debian bookworm ${BOOKWORM.D2} 0s 200`);
      expect(streams).toBeGreaterThan(0);
    } finally {
      h2.close();
      await h2ca.remove();
    }
  });

  it('resolve, rewrite --probe and bump go through the proxy too', async () => {
    const resolved = await seen(() => runCli(['resolve', '--snapshot-base', SNAP, '--date', '2023-11-14T11:00:00Z'], { env, timeoutMs: SLOW }));
    expect(resolved.result).toEqual({ code: 0, stdout: `${BOOKWORM.D1}\n`, stderr: '' });
    expect(resolved.log.map((l) => l.target)).toEqual([`${SNAP}debian/20231114T110000Z/`]);

    const rewritten = await seen(() => runCli(['rewrite', '--stdout', '--probe', '--snapshot-base', SNAP, '--snapshot', BOOKWORM.D2, probeFile], { env, timeoutMs: SLOW }));
    expect(rewritten.result.code).toBe(0);
    expect(rewritten.log.length).toBeGreaterThan(0);
    expect(rewritten.log.every((l) => l.target.startsWith('http://snap.invalid/'))).toBe(true);

    const dockerfile = join(work, 'Dockerfile');
    await writeFile(dockerfile, 'FROM debian:bookworm\nARG SOURCE_DATE_EPOCH=1704067200\n');
    const pinned = join(work, 'bump.list');
    await writeFile(pinned, `deb ${SNAP}debian/${ID1}/ bookworm main\n`);
    const bumped = await seen(() => runCli(['bump', dockerfile, pinned, '--dry-run', '--snapshot-base', SNAP, '--max-staleness', String(100 * 365 * 86400)], { env, timeoutMs: SLOW }));
    expect(bumped.result.code).toBe(0);
    expect(bumped.log.length).toBeGreaterThan(0);
    expect(bumped.log.every((l) => l.target.startsWith('http://snap.invalid/'))).toBe(true);
  });

  it('no_proxy: a host it names is asked directly, the proxy sees nothing', async () => {
    for (const noProxy of ['127.0.0.1', '127.0.0.0/8', `127.0.0.1:${port(server)}`, '*']) {
      const { result: r, log } = await seen(() => runCli(['resolve', '--snapshot-base', server.debianBase, '--date', '2023-11-14T11:00:00Z'], { env: { ...env, no_proxy: noProxy }, timeoutMs: SLOW }));
      expect({ noProxy, r, log }).toEqual({ noProxy, r: { code: 0, stdout: `${BOOKWORM.D1}\n`, stderr: '' }, log: [] });
    }
    // and without no_proxy, the same request goes through the proxy (which knows no such host)
    const { result: r, log } = await seen(() => runCli(['resolve', '--snapshot-base', server.debianBase, '--date', '2023-11-14T11:00:00Z', '--retries', '0'], { env, timeoutMs: SLOW }));
    expect([r.code, log.map((l) => l.target)]).toEqual([1, [`${server.debianBase}debian/20231114T110000Z/`]]);
  });

  it('cache push and pull to a registry by name: uploads and downloads all through the proxy', async () => {
    const debDir = join(work, 'debs');
    await buildDebs(debDir, [{ name: 'hello', version: '1.0-1', payload: 300_000 }, { name: 'tiny', version: '2', payload: 10 }]);
    const ref = 'oci://registry.invalid/deb/proxied:t';
    const pushed = await seen(() => runCli(['cache', 'push', debDir, '--to', ref, '--plain-http', '--distro', 'debian', '--codename', 'bookworm', '--root', work], { env, timeoutMs: SLOW }));
    expect([pushed.result.code, pushed.result.stderr.split('\n').length]).toEqual([0, 2]);
    const methods = new Set(pushed.log.map((l) => l.method));
    expect(methods.has('POST') && methods.has('PUT')).toBe(true);
    expect(pushed.log.every((l) => l.kind === 'http' && l.target.startsWith('http://registry.invalid/v2/'))).toBe(true);

    const out = join(work, 'pulled');
    const pulled = await seen(() => runCli(['cache', 'pull', ref, '--plain-http', '--to', out], { env, timeoutMs: SLOW }));
    expect(pulled.result.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['hello_1.0-1_amd64.deb', 'tiny_2_amd64.deb']);
    expect(pulled.log.filter((l) => l.method === 'GET' && /\/blobs\/sha256:/.test(l.target))).toHaveLength(2);
    expect(pulled.log.every((l) => l.target.startsWith('http://registry.invalid/v2/'))).toBe(true);

    const listed = await seen(() => runCli(['cache', 'list', ref, '--plain-http'], { env, timeoutMs: SLOW }));
    expect(listed.result.code).toBe(0);
    expect(listed.log.length).toBeGreaterThan(0);
  });

  it('fetch of a lockfile: the locked file comes through the proxy, checked against the lock', async () => {
    const archiveUrl = `${SNAP}debian/${ID1}/`;
    const lockfile: Lockfile = {
      lockfileVersion: 1,
      request: { packages: ['tool'], distro: 'debian', codename: 'bookworm', time: ID1, architectures: ['amd64'], archives: [{ name: 'debian', snapshot: ID1, url: archiveUrl, suites: ['bookworm'], components: ['main'] }] },
      packages: [{ name: 'tool', version: '1.0', architecture: 'amd64', source: 'tool', filename: TOOL_PATH, url: `${archiveUrl}${TOOL_PATH}`, size: TOOL.length, sha256: sha(TOOL), depends: [] }],
    };
    const file = join(work, 'proxied.lock.json');
    await writeFile(file, serializeLockfile(lockfile));
    const to = join(work, 'fetched-through-proxy');
    const { result: r, log } = await seen(() => runCli(['fetch', file, '--to', to], { env, timeoutMs: SLOW }));
    expect([r.code, r.stderr.split('\n').length]).toEqual([0, 2]);
    // snapshot.debian.org's way: the pool URL answers 302 to /file/SHA1; both hops go through the proxy
    expect(log.map((l) => l.target)).toEqual([`${archiveUrl}${TOOL_PATH}`, `http://snap.invalid/file/${sha1(TOOL)}`]);
    expect(await readFile(join(to, 'tool_1.0_amd64.deb'))).toEqual(TOOL);
    // no_proxy sends it direct: the proxy sees nothing (and the name resolves nowhere else, so it fails)
    const direct = await seen(() => runCli(['fetch', file, '--to', join(work, 'direct')], { env: { ...env, no_proxy: 'snap.invalid' }, timeoutMs: SLOW }));
    expect([direct.result.code, direct.log]).toEqual([1, []]);
  });

  it("serve's upstream fetches go through the proxy", async () => {
    const before = proxy.log.length;
    const serve = await startServeCli(['--upstream', SNAP], env);
    try {
      // a pool file this upstream lacks: its 404 comes back through the proxy (a Release would be
      // refused here, since the fixture's Releases are not signed by the Debian archive key)
      const r = await get(`${serve.url}debian/${BOOKWORM.D1}/pool/main/h/hello/hello_1.0_amd64.deb`);
      expect(r.status).toBe(404);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    const log = proxy.log.slice(before);
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((l) => l.target.startsWith('http://snap.invalid/'))).toBe(true);
  });

  it('proxy credentials are sent, and never printed, --debug included', async () => {
    const guarded = await startForwardProxy({ hosts: { 'snap.invalid': port(server) }, auth: 'user:s3cret' });
    try {
      const ok = await runCli(['resolve', '--snapshot-base', SNAP, '--date', '2023-11-14T11:00:00Z'], { env: { ...env, http_proxy: guarded.url.replace('//', '//user:s3cret@') }, timeoutMs: SLOW });
      expect(ok).toEqual({ code: 0, stdout: `${BOOKWORM.D1}\n`, stderr: '' });
      expect(guarded.log.map((l) => l.auth)).toEqual([`Basic ${Buffer.from('user:s3cret').toString('base64')}`]);
      const refused = await runCli(['--debug', 'resolve', '--retries', '0', '--snapshot-base', SNAP, '--date', '2023-11-14T11:00:00Z'], { env: { ...env, http_proxy: guarded.url.replace('//', '//user:wr0ng@') }, timeoutMs: SLOW });
      expect(refused.code).toBe(1);
      expect(refused.stderr.split('\n')[0]).toMatch(/^repro-sources: http:\/\/snap\.invalid\/archive\/debian\/20231114T110000Z\/: .*407/);
      expect(refused.stderr).not.toMatch(/wr0ng|s3cret/);
    } finally {
      await guarded.stop();
    }
  });
});

describe('a registry whose blob redirect target fails once', { timeout: 4 * SLOW }, () => {
  it('the 503 from blob storage is retried after a real backoff, and the pull succeeds', async () => {
    const registry = await startRegistry();
    const storageHits: { status: number; at: number }[] = [];
    let failures = 1;
    const forward = (path: string, method: string, res: import('node:http').ServerResponse, headers: import('node:http').IncomingHttpHeaders = {}): void => {
      const up = request({ host: '127.0.0.1', port: Number(registry.host.split(':')[1]), path, method, headers: { ...headers, host: registry.host } }, (a) => {
        res.writeHead(a.statusCode ?? 502, a.headers);
        a.pipe(res);
      });
      up.end();
    };
    // blob storage on another origin, S3-style
    const storage: Server = createServer((req, res) => {
      if (failures > 0) {
        failures--;
        storageHits.push({ status: 503, at: performance.now() });
        res.writeHead(503, { 'content-length': '0' }).end();
        return;
      }
      storageHits.push({ status: 200, at: performance.now() });
      forward(new URL(req.url!, 'http://x').searchParams.get('path')!, 'GET', res);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    const storagePort = (storage.address() as AddressInfo).port;
    const front: Server = createServer((req, res) => {
      if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url!)) {
        res.writeHead(307, { location: `http://127.0.0.1:${storagePort}/bucket?path=${encodeURIComponent(req.url!)}`, 'content-length': '0' }).end();
        return;
      }
      forward(req.url!, req.method!, res, req.headers);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const debDir = join(work, 'debs-redirect');
      await buildDebs(debDir, [{ name: 'one', version: '1', payload: 1000 }]);
      const pushed = await runCli(['cache', 'push', debDir, '--to', `oci://${registry.host}/deb/redirect:t`, '--distro', 'debian', '--codename', 'bookworm', '--root', work], { env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' }), timeoutMs: SLOW });
      expect(pushed.code).toBe(0);
      const out = join(work, 'pulled-redirect');
      const r = await runCli(['cache', 'pull', `oci://127.0.0.1:${(front.address() as AddressInfo).port}/deb/redirect:t`, '--to', out], { env: cleanEnv(), timeoutMs: SLOW });
      expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/^repro-sources: pulled oci:\/\/\S+: 1 files, [^\n]+\n$/)]);
      expect(await readdir(out)).toEqual(['one_1_amd64.deb']);
      expect(storageHits.map((h) => h.status)).toEqual([503, 200]);
      expect(storageHits[1]!.at - storageHits[0]!.at).toBeGreaterThanOrEqual(100);
    } finally {
      await new Promise((r) => front.close(r));
      await new Promise((r) => storage.close(r));
      await registry.stop();
    }
  });
});
