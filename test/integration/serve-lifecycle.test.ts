/**
 * serve over time: which time-to-id answers it keeps (only those that cannot change, one entry
 * per id), and the process's life: dead processes' temp dirs cleared at start, SIGTERM with a
 * client that never gets its body.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/oci/reference.js';
import { openStore } from '../../src/oci/store.js';
import { startServe } from '../../src/serve/server.js';
import { toSnapshotId } from '../../src/snapshot/id.js';
import { BUNDLE, cleanEnv } from '../helpers/cli.js';
import { releaseText, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';

let work: string;
let upstream: SnapshotServer;
const OLD = '20240101T000000Z';
const now = Math.floor(Date.now() / 1000);
const RECENT = toSnapshotId(now - 7200);
const files = { 'dists/bookworm/Release': releaseText({ suite: 'stable', codename: 'bookworm' }) };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rs-serve-life-'));
  upstream = await startSnapshotServer({ files: { debian: { [OLD]: files, [RECENT]: files } } });
});
afterAll(async () => {
  await upstream.stop();
  await rm(work, { recursive: true, force: true });
});

function head(url: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method: 'HEAD' }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}) });
    }).on('error', reject).end();
  });
}

describe('serve: time-to-id resolutions', () => {
  it('keeps one entry per resolved id for times that cannot change, none for a time after the newest import; a later import is seen after a restart', async () => {
    const layout = join(work, 'resolutions');
    const store = await openStore(parseReference(`oci-layout:${layout}`));
    const opts = { listen: '127.0.0.1:0', upstreams: [upstream.debianBase], store, archives: ['debian'], defaultKeyrings: false };
    const a = await startServe(opts);
    const olds = ['20240102T000000Z', '20240103T000000Z', '20240115T123000Z', '20240201T000000Z', '20240301T000000Z'];
    for (const t of olds) expect(await head(`${a.url}debian/${t}/dists/bookworm/Release`)).toEqual({ status: 301, location: `/debian/${OLD}/dists/bookworm/Release` });
    const asked = toSnapshotId(now);
    expect(await head(`${a.url}debian/${asked}/dists/bookworm/Release`)).toEqual({ status: 301, location: `/debian/${RECENT}/dists/bookworm/Release` });
    await a.close();
    const timeline = JSON.parse((await store.getManifest({ tag: 'timeline-debian' }).then((m) => JSON.parse(m!.bytes.toString())))?.annotations['io.github.repro-sources.timeline']);
    // RECENT is the newest import: a time after it may land on a later one
    expect(timeline).toEqual([[OLD, '20240301T000000Z']]);

    const NEWER = toSnapshotId(now - 60);
    upstream.addSnapshot('debian', NEWER, files);
    const b = await startServe(opts);
    expect(await head(`${b.url}debian/${asked}/dists/bookworm/Release`)).toEqual({ status: 301, location: `/debian/${NEWER}/dists/bookworm/Release` });
    await b.close();

    // upstream gone: what was kept still redirects
    await upstream.stop();
    const c = await startServe(opts);
    expect(await head(`${c.url}debian/20240110T000000Z/dists/bookworm/Release`)).toEqual({ status: 301, location: `/debian/${OLD}/dists/bookworm/Release` });
    await c.close();
    await store.close();
    upstream = await startSnapshotServer({ files: { debian: { [OLD]: files, [RECENT]: files } } });
  });
});

describe('serve (CLI): temp files and SIGTERM', () => {
  it('clears a dead serve process\'s temp dir at start, and on SIGTERM cuts a response that never finishes after --drain, then exits 0 leaving no temp dir', async () => {
    const tmp = join(work, 'tmp');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    const leftover = join(tmp, `repro-sources-serve-${dead.pid}-abc123`);
    const alive = join(tmp, `repro-sources-serve-${process.pid}-def456`);
    await mkdir(leftover, { recursive: true });
    await mkdir(alive, { recursive: true });
    await writeFile(join(leftover, '1'), 'half a .deb');
    const child = spawn(process.execPath, [BUNDLE, 'serve', '--listen', '127.0.0.1:0', '--archives', 'debian', '--drain', '1', '--upstream', upstream.debianBase], {
      env: cleanEnv({ TMPDIR: tmp }) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    for (let i = 0; i < 200 && !/serving on /.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /serving on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)![1]!;
    expect((await readdir(tmp)).filter((n) => !n.startsWith(`repro-sources-serve-${child.pid}-`)).sort()).toEqual([`repro-sources-serve-${process.pid}-def456`]);
    // the body never comes: only the drain deadline ends this response
    upstream.fault(/Release$/, ['stall']);
    const pending = new Promise<string>((resolve) => {
      request(`${url}debian/${OLD}/dists/bookworm/Release`, (res) => {
        res.resume();
        res.on('end', () => resolve(`end ${res.statusCode}`));
        res.on('error', () => resolve('error'));
      }).on('error', () => resolve('error')).end();
    });
    for (let i = 0; i < 200 && upstream.requests(/Release$/).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(await pending).not.toBe('end 200');
    expect(await readdir(tmp)).toEqual([`repro-sources-serve-${process.pid}-def456`]);
    upstream.clearFaults();
  }, 60_000);
});
