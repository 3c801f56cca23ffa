/**
 * Every network-facing command against servers and networks that are not kind (the kit in
 * test/helpers/hostile.ts): python's HTTP/1.0 http.server as an upstream, indexes cut off or
 * corrupt, a blob redirect whose target fails once, a counting forward proxy (absolute-form http,
 * CONNECT with a test CA) and no_proxy. The built CLI, exact exit codes, one-line stderr, and
 * what reached the servers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { buildDebs } from '../helpers/debs.js';
import { makeTestCa, startForwardProxy, startPythonServer, startTlsTerminator, type ForwardProxy, type PythonServer, type TestCa } from '../helpers/hostile.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { BOOKWORM, bookwormSnapshots, releaseText, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';

const ID1 = '20240101T000000Z';
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
  }, 120_000);
  afterAll(async () => py?.stop());

  it('diff of two 8 MB Packages.gz, three runs: exit 0 and the one change each time', async () => {
    for (let run = 0; run < 3; run++) {
      const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', `${py.url}/archive/`], { timeoutMs: 120_000 });
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

describe('diff against indexes that break', () => {
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
    const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', base()]);
    expect(r).toEqual({ code: 0, stdout: `debian ${ID1} -> ${ID2}: 1 changed, 0 added, 0 removed\n  ~ pkg-7 amd64 1.0-1 -> 1.0-2\n`, stderr: '' });
    expect(server.requests(index()).length - before).toBe(2);
  });

  it('an index cut off every time: exit 1, one line naming it, a bounded number of fetches', async () => {
    server.fault(index(), Array(20).fill('cut'));
    const before = server.requests(index()).length;
    const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', base()]);
    server.clearFaults();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^repro-sources: ${indexUrl().replace(/[.?]/g, '\\$&')}: the body broke off after \\d+ of ${gz1.length} bytes \\(.+\\) \\(3 fetches\\)\\n$`));
    expect(server.requests(index()).length - before).toBe(3);
  });

  it('a corrupt index: exit 1, one line naming it as corrupt, and not a zlib error', async () => {
    const bad = Buffer.from(gz1);
    bad[bad.length >> 1] ^= 0xff;
    server.fault(index(), [{ status: 200, body: bad.toString('latin1') }]);
    const r = await runCli(['diff', sources, '--from', ID1, '--to', ID2, '--snapshot-base', base()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^repro-sources: ${indexUrl().replace(/[.?]/g, '\\$&')}: digest mismatch: expected sha256:${sha(gz1)} \\(${gz1.length} bytes, from the Release\\), got (sha256:[0-9a-f]{64} \\(\\d+ bytes\\)|more than \\d+ bytes): a corrupt index\\n$`));
  });
});
