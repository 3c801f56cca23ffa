/**
 * The stores under concurrency and faults, through the real CLI: parallel pushes into one
 * layout, parallel --merge pushes to one registry tag, re-push over a corrupted blob, and
 * kill -9 in the middle of a big transfer (push, pull, fetch of a lockfile).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeLockfile, type Lockfile } from '../../src/lock/lockfile.js';
import { parseManifest } from '../../src/oci/manifest.js';
import { parseReference } from '../../src/oci/reference.js';
import { openStore } from '../../src/oci/store.js';
import { BIN, cleanEnv, runCli } from '../helpers/cli.js';
import { buildDebs } from '../helpers/debs.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let work: string;
let debs: string;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const env = cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' });
const annotations = ['--distro', 'debian', '--codename', 'bookworm'];

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-cache-conc-'));
  debs = join(work, 'debs');
  await buildDebs(debs, [{ name: 'hello', version: '1.0-1', payload: 30_000 }, { name: 'libfoo1', version: '2.0-1' }]);
});
afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

async function tagsOf(layout: string): Promise<string[]> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  return index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '').sort();
}

/** Starts the CLI, SIGKILLs it as soon as a file matching `pattern` shows up in `dir`, then waits for it to die. */
async function killMidway(args: string[], dir: string, pattern: RegExp): Promise<string[]> {
  const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  let seen: string[] = [];
  for (let i = 0; i < 2000 && seen.length === 0 && child.exitCode === null; i++) {
    seen = (await readdir(dir).catch(() => [] as string[])).filter((n) => pattern.test(n));
    if (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  await exited;
  return seen;
}

describe('oci-layout under parallel writers', () => {
  it('six parallel cache push runs with different tags into one layout keep all six tags', async () => {
    const layout = join(work, 'six');
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) => runCli(['cache', 'push', debs, '--to', `oci-layout:${layout}:t${i}`, ...annotations], { env, timeoutMs: 120_000 })));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await tagsOf(layout)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
    expect((await readdir(layout)).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp'))).toEqual([]);
  }, 180_000);

  it('re-push repairs a blob corrupted in place (same size, one byte flipped)', async () => {
    const layout = join(work, 'repair');
    expect((await runCli(['cache', 'push', debs, '--to', `oci-layout:${layout}:x`, ...annotations], { env })).code).toBe(0);
    const deb = (await readdir(debs)).find((n) => n.startsWith('hello_'))!;
    const good = await readFile(join(debs, deb));
    const blob = join(layout, 'blobs/sha256', sha256(good));
    const bad = Buffer.from(good);
    bad[100]! ^= 1;
    await writeFile(blob, bad);
    const again = await runCli(['cache', 'push', debs, '--to', `oci-layout:${layout}:x`, ...annotations, '--json'], { env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).bytesSent).toBe(good.length);
    expect((await readFile(blob)).equals(good)).toBe(true);
    const pulled = await runCli(['cache', 'pull', `oci-layout:${layout}:x`, '--to', join(work, 'repair-out')], { env });
    expect(pulled.code).toBe(0);
  });

  it('a stale lock of a dead writer is broken', async () => {
    const layout = join(work, 'stale');
    await mkdir(layout, { recursive: true });
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    await writeFile(join(layout, 'index.json.lock'), `${dead.pid}\n`);
    const r = await runCli(['cache', 'push', debs, '--to', `oci-layout:${layout}:y`, ...annotations], { env });
    expect(r.code).toBe(0);
    expect(await tagsOf(layout)).toEqual(['y']);
    expect(await readdir(layout)).not.toContain('index.json.lock');
  });
});

describe('registry --merge under parallel writers', () => {
  it('three parallel --merge pushes to one tag keep every package, all exit 0', async () => {
    const dirs = await Promise.all(['alpha', 'beta', 'gamma'].map(async (name) => {
      const d = join(work, `merge-${name}`);
      await buildDebs(d, [{ name, version: '1.0-1' }]);
      return d;
    }));
    const to = `oci://${registry.host}/merge/set:one`;
    const runs = await Promise.all(dirs.map((d) => runCli(['cache', 'push', d, '--to', to, '--merge', ...annotations], { env, timeoutMs: 120_000 })));
    expect(runs.map((r) => (r.code === 0 && r.stderr.startsWith('repro-sources: pushed') ? 'pushed' : `${r.code} ${r.stderr}`))).toEqual(['pushed', 'pushed', 'pushed']);
    const store = await openStore(parseReference(to));
    const m = await store.getManifest({ tag: 'one' });
    expect(parseManifest(m!.bytes, to).layers.map((l) => l.title).sort()).toEqual(['alpha_1.0-1_amd64.deb', 'beta_1.0-1_amd64.deb', 'gamma_1.0-1_amd64.deb']);
    await store.close();
  }, 180_000);
});

describe('kill -9 midway leaves nothing behind once run again', () => {
  it('cache push into a layout: no *.tmp after a kill and a rerun', async () => {
    const big = join(work, 'big');
    await mkdir(big, { recursive: true });
    await writeFile(join(big, 'big_1.0-1_amd64.deb'), '');
    await truncate(join(big, 'big_1.0-1_amd64.deb'), 400 << 20);
    const layout = join(work, 'killed');
    const args = ['cache', 'push', big, '--to', `oci-layout:${layout}:big`, ...annotations];
    const seen = await killMidway(args, join(layout, 'blobs/sha256'), /\.tmp$/);
    expect(seen.length).toBe(1);
    const r = await runCli(args, { env, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect((await readdir(join(layout, 'blobs/sha256'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    // and a pull from it into --to
    const to = join(work, 'killed-out');
    const pullArgs = ['cache', 'pull', `oci-layout:${layout}:big`, '--to', to];
    expect((await killMidway(pullArgs, to, /\.part$/)).length).toBe(1);
    const p = await runCli(pullArgs, { env, timeoutMs: 120_000 });
    expect(p.code).toBe(0);
    expect(await readdir(to)).toEqual(['big_1.0-1_amd64.deb']);

    // and fetch of a lockfile naming that blob, from the layout as its cache
    const bytes = await readFile(join(big, 'big_1.0-1_amd64.deb'));
    const lock: Lockfile = {
      lockfileVersion: 1,
      request: { packages: ['big'], distro: 'debian', codename: 'bookworm', time: '20231114T221320Z', architectures: ['amd64'], archives: [{ name: 'debian', snapshot: '20231114T221320Z', url: 'http://snapshot.debian.org/archive/debian/20231114T221320Z/', suites: ['bookworm'], components: ['main'] }] },
      packages: [{ name: 'big', version: '1.0-1', architecture: 'amd64', source: 'big', filename: 'pool/main/b/big/big_1.0-1_amd64.deb', url: 'http://snapshot.debian.org/archive/debian/20231114T221320Z/pool/main/b/big/big_1.0-1_amd64.deb', size: bytes.length, sha256: sha256(bytes), depends: [] }],
    };
    const lockFile = join(work, 'big.lock.json');
    await writeFile(lockFile, serializeLockfile(lock));
    const fetched = join(work, 'killed-fetch');
    const fetchArgs = ['fetch', lockFile, '--to', fetched, '--cache', `oci-layout:${layout}`];
    expect((await killMidway(fetchArgs, fetched, /\.part$/)).length).toBe(1);
    const f = await runCli(fetchArgs, { env, timeoutMs: 120_000 });
    expect(f.code).toBe(0);
    expect(await readdir(fetched)).toEqual(['big_1.0-1_amd64.deb']);
  }, 240_000);
});
