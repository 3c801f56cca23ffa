/**
 * lock, lock --check, fetch, bump of a lock and sbom against the real parts: this machine's apt
 * (isolated state), a signed archive with two snapshots built at test time, served by the
 * snapshot server, and Debian's docker-registry for --cache.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ajv } from 'ajv';
import { buildSignedArchive, debianSources, SEC1, SEC2, SNAP1, SNAP2, type SignedArchive } from '../helpers/archive.js';
import { startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { cleanEnv, PROJECT_ROOT, runCli as run, type CliOptions } from '../helpers/cli.js';
import { parseLockfile, type Lockfile } from '../../src/lock/lockfile.js';

// each test resolves with real apt several times; on a loaded two-core machine one run can take 30 s
vi.setConfig({ testTimeout: 300_000 });
const runCli = (args: readonly string[], opts: CliOptions = {}) => run(args, { timeoutMs: 150_000, ...opts });

let archive: SignedArchive;
let server: SnapshotServer;
let registry: TestRegistry;
let work: string;
let root: string;
let lockFile: string;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const env = (extra: Record<string, string> = {}) => cleanEnv({ SNAPSHOT_ARCHIVE_BASE: server.debianBase, ...extra });
/** A hash of every path, mode and content under dir. */
async function treeHash(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      h.update(`${relative(dir, p)}\0${e.isDirectory() ? 'd' : 'f'}\0`);
      if (e.isDirectory()) await walk(p);
      else h.update(await readFile(p));
    }
  };
  await walk(dir);
  return h.digest('hex');
}
const pool = (id: string, name: string): string => join(archive.root, 'debian', id, 'pool/main/bookworm', name);

beforeAll(async () => {
  archive = await buildSignedArchive();
  server = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-lock-'));
  root = join(work, 'root');
  await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(archive.keyring));
  lockFile = join(work, 'repro-sources.lock.json');
});
afterAll(async () => {
  await server.stop();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
  await rm(archive.root, { recursive: true, force: true });
});

// 2024-01-15: debian's snapshot SNAP1 (hello 1.0-1), debian-security's SEC1
const EPOCH = '1705276800';

describe('lock', () => {
  it('holds exactly hello 1.0-1 and its dependency with the archive\'s sha256 and sizes, byte-identical on a second run, the root untouched', async () => {
    const before = await treeHash(root);
    const r = await runCli(['lock', 'hello', '--root', root, '--epoch', EPOCH, '-o', lockFile], { env: env() });
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 0, stdout: '' });
    expect(r.stderr).toBe(`repro-sources: locked 2 packages (${(await readFile(pool(SNAP1, 'hello_1.0-1_amd64.deb'))).length + (await readFile(pool(SNAP1, 'libhello1_1.0-1_amd64.deb'))).length} bytes) at debian ${SNAP1}, debian-security ${SEC1} in ${lockFile}\n`);
    const text = await readFile(lockFile, 'utf8');
    const lock = JSON.parse(text) as Lockfile;
    const base = `${server.debianBase}debian/${SNAP1}/`;
    const file = async (name: string) => {
      const b = await readFile(pool(SNAP1, name));
      return { size: b.length, sha256: sha(b) };
    };
    expect(lock).toEqual({
      lockfileVersion: 1,
      request: {
        packages: ['hello'],
        distro: 'debian',
        codename: 'bookworm',
        time: '20240115T000000Z',
        architectures: ['amd64'],
        archives: [
          { name: 'debian', snapshot: SNAP1, url: base, suites: ['bookworm', 'bookworm-updates'], components: ['main'], signedBy: archive.keyring },
          { name: 'debian-security', snapshot: SEC1, url: `${server.debianBase}debian-security/${SEC1}/`, suites: ['bookworm-security'], components: ['main'], signedBy: archive.keyring },
        ],
      },
      packages: [
        { name: 'hello', version: '1.0-1', architecture: 'amd64', source: 'hello', filename: 'pool/main/bookworm/hello_1.0-1_amd64.deb', url: `${base}pool/main/bookworm/hello_1.0-1_amd64.deb`, ...(await file('hello_1.0-1_amd64.deb')), depends: ['libhello1'] },
        { name: 'libhello1', version: '1.0-1', architecture: 'amd64', source: 'libhello1', filename: 'pool/main/bookworm/libhello1_1.0-1_amd64.deb', url: `${base}pool/main/bookworm/libhello1_1.0-1_amd64.deb`, ...(await file('libhello1_1.0-1_amd64.deb')), depends: [] },
      ],
    });
    // no .deb was downloaded to resolve
    expect(server.requests(/\.deb$/)).toEqual([]);
    const again = join(work, 'again.lock.json');
    expect((await runCli(['lock', 'hello', '--root', root, '--epoch', EPOCH, '-o', again], { env: env() })).code).toBe(0);
    expect(await readFile(again, 'utf8')).toBe(text);
    expect(await treeHash(root)).toBe(before);
  });

  it('validates against the JSON Schema shipped in schemas/', async () => {
    const schema = JSON.parse(await readFile(join(PROJECT_ROOT, 'schemas/lockfile.schema.json'), 'utf8'));
    const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);
    const doc = JSON.parse(await readFile(lockFile, 'utf8'));
    expect(validate.errors ?? validate(doc)).toBe(true);
    expect(validate({ ...doc, packages: [{ ...doc.packages[0], sha256: 'abc' }] })).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toEqual(['/packages/0/sha256']);
  });

  it('an unknown package is exit 1 with apt\'s reason, and no lock is written', async () => {
    const out = join(work, 'none.lock.json');
    const r = await runCli(['lock', 'no-such-package', '--root', root, '--epoch', EPOCH, '-o', out], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^repro-sources: apt-get install --print-uris -qq --no-install-recommends -y no-such-package: failed with exit 100: E: Unable to locate package no-such-package\n$/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('a suite the snapshot lacks is exit 1 with apt\'s reason, not a lock of the rest', async () => {
    const partial = join(work, 'partial-root');
    await mkdir(join(partial, 'etc/apt/sources.list.d'), { recursive: true });
    await copyFile(join(root, 'etc/os-release'), join(partial, 'etc/os-release'));
    await writeFile(join(partial, 'etc/apt/sources.list.d/debian.sources'), debianSources(archive.keyring).replace('Suites: bookworm bookworm-updates', 'Suites: bookworm bookworm-backports'));
    const out = join(work, 'partial.lock.json');
    const r = await runCli(['lock', 'hello', '--root', partial, '--epoch', EPOCH, '-o', out], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^repro-sources: apt-get update -q: failed with exit 100: .*bookworm-backports Release' does not have a Release file\.\n$/);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
  });

  it('bad input is exit 2, one line', async () => {
    const r = await runCli(['lock', '--root', root, '--epoch', EPOCH], { env: env() });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: 'repro-sources: lock: name at least one package (or --check FILE)\n' });
    const bad = join(work, 'bad.lock.json');
    await writeFile(bad, '{"lockfileVersion": 2}');
    const c = await runCli(['lock', '--check', bad], { env: env() });
    expect({ code: c.code, stderr: c.stderr }).toEqual({ code: 2, stderr: `repro-sources: ${bad}: lockfileVersion: expected 1, found 2\n` });
  });
});

describe('lock --check', () => {
  it('is 0 on a fresh lock, from the lock alone or with the same options', async () => {
    const r = await runCli(['lock', '--check', lockFile], { env: env() });
    expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: 0, stdout: '', stderr: `repro-sources: ${lockFile}: matches a fresh resolution (2 packages)\n` });
    const same = await runCli(['lock', '--check', lockFile, '--root', root, '--epoch', EPOCH], { env: env() });
    expect(same.code).toBe(0);
  });

  it('is 1 on a hand-edited lock, printing what differs in the shape of diff', async () => {
    const lock = JSON.parse(await readFile(lockFile, 'utf8')) as Lockfile;
    lock.packages[0]!.sha256 = '0'.repeat(64);
    lock.packages[1]!.version = '0.9-1';
    const edited = join(work, 'edited.lock.json');
    await writeFile(edited, JSON.stringify(lock, null, 2));
    const r = await runCli(['lock', '--check', edited], { env: env() });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: '' });
    expect(r.stdout).toBe(
      `debian ${SNAP1} -> ${SNAP1}: 2 changed, 0 added, 0 removed\n` +
        '  ~ hello amd64 1.0-1 -> 1.0-1 (sha256 differs)\n' +
        '  ~ libhello1 amd64 0.9-1 -> 1.0-1\n' +
        `debian-security ${SEC1} -> ${SEC1}: 0 changed, 0 added, 0 removed\n`,
    );
  });

  it('is 1 when the same request resolves differently at another time', async () => {
    const r = await runCli(['lock', '--check', lockFile, '--snapshot', SNAP2], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      'request: time differ\n' +
        `debian ${SNAP1} -> ${SNAP2}: 1 changed, 0 added, 0 removed\n` +
        '  ~ hello amd64 1.0-1 -> 2.0-1\n' +
        `debian-security ${SEC1} -> ${SEC1}: 0 changed, 0 added, 0 removed\n`,
    );
  });
});

describe('fetch', () => {
  it('downloads exactly the locked files, byte-identical, and keeps them on a second run', async () => {
    const dir = join(work, 'fetched');
    const r = await runCli(['fetch', lockFile, '--to', dir], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^repro-sources: fetched 2 files into ${dir}: 0 from the cache, 2 from the network, 0 already there; .* received, \\d+\\.\\d s\\n$`));
    expect(await readdir(dir)).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
    for (const n of ['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']) expect(await readFile(join(dir, n))).toEqual(await readFile(pool(SNAP1, n)));
    const again = await runCli(['fetch', lockFile, '--to', dir, '--json'], { env: env() });
    expect(JSON.parse(again.stdout)).toMatchObject({ files: 2, fromCache: 0, fromNetwork: 0, kept: 2, bytesReceived: 0 });
  });

  it('a tampered upstream file is exit 1, is not written, and leaves no .part', async () => {
    const dir = join(work, 'tampered');
    const file = pool(SNAP1, 'libhello1_1.0-1_amd64.deb');
    const saved = await readFile(file);
    const evil = Buffer.from(saved);
    evil[evil.length - 1] ^= 1;
    await writeFile(file, evil);
    const r = await runCli(['fetch', lockFile, '--to', dir], { env: env() });
    await writeFile(file, saved);
    const lock = parseLockfile(await readFile(lockFile, 'utf8'));
    const lib = lock.packages.find((p) => p.name === 'libhello1')!;
    expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: '' });
    expect(r.stderr).toBe(`repro-sources: ${lib.url}: digest mismatch: expected sha256:${lib.sha256} (${lib.size} bytes, from the lock), got sha256:${sha(evil)} (${evil.length} bytes)\n`);
    expect((await readdir(dir)).filter((n) => n.startsWith('libhello1') || n.endsWith('.part'))).toEqual([]);
  });

  it('--snapshot-base moves the lock\'s URLs to another service', async () => {
    const other = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
    try {
      const dir = join(work, 'moved');
      const r = await runCli(['fetch', lockFile, '--to', dir, '--snapshot-base', other.debianBase], { env: env() });
      expect(r.code).toBe(0);
      expect(other.requests(/\.deb$/).map((q) => q.path).sort()).toEqual([`/archive/debian/${SNAP1}/pool/main/bookworm/hello_1.0-1_amd64.deb`, `/archive/debian/${SNAP1}/pool/main/bookworm/libhello1_1.0-1_amd64.deb`]);
    } finally {
      await other.stop();
    }
  });

  it('warm --lock pushes the locked set to a registry; fetch --cache takes every file from it, none from the network', async () => {
    const ref = `oci://${registry.host}/deb/locked:test`;
    const w = await runCli(['warm', '--lock', lockFile, '--to', ref], { env: env({ SOURCE_DATE_EPOCH: EPOCH }) });
    expect({ code: w.code, stderr: w.code === 0 ? '' : w.stderr }).toEqual({ code: 0, stderr: '' });
    expect(w.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const list = await runCli(['cache', 'list', ref], { env: env() });
    expect(list.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 3).join(' '))).toEqual(['hello 1.0-1 amd64', 'libhello1 1.0-1 amd64']);
    const debsBefore = server.requests(/\.deb$/).length;
    const dir = join(work, 'from-cache');
    const r = await runCli(['fetch', lockFile, '--to', dir, '--cache', ref, '--json'], { env: env() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 2, fromCache: 2, fromNetwork: 0, kept: 0 });
    expect(server.requests(/\.deb$/).length).toBe(debsBefore);
    for (const n of ['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']) expect(await readFile(join(dir, n))).toEqual(await readFile(pool(SNAP1, n)));
  });

  it('cache push --lock checks that a directory holds exactly the lock', async () => {
    const dir = join(work, 'fetched');
    const ref = `oci://${registry.host}/deb/locked:push`;
    const ok = await runCli(['cache', 'push', dir, '--lock', lockFile, '--to', ref, '--root', root], { env: env({ SOURCE_DATE_EPOCH: EPOCH }) });
    expect({ code: ok.code, stderr: ok.code === 0 ? '' : ok.stderr }).toEqual({ code: 0, stderr: '' });
    await copyFile(pool(SNAP2, 'hello_2.0-1_amd64.deb'), join(dir, 'hello_2.0-1_amd64.deb'));
    const extra = await runCli(['cache', 'push', dir, '--lock', lockFile, '--to', ref, '--root', root], { env: env({ SOURCE_DATE_EPOCH: EPOCH }) });
    expect({ code: extra.code, stderr: extra.stderr }).toEqual({ code: 1, stderr: `repro-sources: ${dir}: does not hold exactly ${lockFile}: hello_2.0-1_amd64.deb is not in the lock\n` });
    await rm(join(dir, 'hello_2.0-1_amd64.deb'));
    await writeFile(join(dir, 'hello_1.0-1_amd64.deb'), 'not the locked bytes');
    const changed = await runCli(['cache', 'push', dir, '--lock', lockFile, '--to', ref, '--root', root], { env: env({ SOURCE_DATE_EPOCH: EPOCH }) });
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(new RegExp(`^repro-sources: ${dir}: does not hold exactly ${lockFile}: hello_1.0-1_amd64.deb is sha256:[0-9a-f]{64} \\(20 bytes\\), the lock says sha256:[0-9a-f]{64} \\(\\d+ bytes\\)\\n$`));
  });
});

describe('bump of a lock', () => {
  it('moves hello to 2.0-1 with its new sha256, leaves libhello1 alone, and prints a summary naming hello', async () => {
    // named as the user likes: told apart from a sources file by its content
    const file = join(work, 'F');
    await copyFile(lockFile, file);
    const before = parseLockfile(await readFile(file, 'utf8'));
    const r = await runCli(['bump', file, '--to', '20240215T000000Z'], { env: env() });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        `## Bump ${file} from 20240115T000000Z to 20240215T000000Z`,
        '',
        `**debian** ${SNAP1} → ${SNAP2}: 1 upgraded, 0 downgraded, 0 added, 0 removed`,
        '- hello (amd64): 1.0-1 → 2.0-1',
        '',
        `**debian-security** ${SEC1} → ${SEC2}: 0 upgraded, 0 downgraded, 0 added, 0 removed`,
        '',
      ].join('\n'),
    );
    const after = parseLockfile(await readFile(file, 'utf8'));
    const hello = after.packages.find((p) => p.name === 'hello')!;
    expect(hello).toMatchObject({ version: '2.0-1', sha256: sha(await readFile(pool(SNAP2, 'hello_2.0-1_amd64.deb'))), url: `${server.debianBase}debian/${SNAP2}/pool/main/bookworm/hello_2.0-1_amd64.deb` });
    // the same file: its entry stays as it was, URL at the older snapshot included
    const lib = (l: Lockfile) => l.packages.find((p) => p.name === 'libhello1')!;
    expect(lib(after)).toEqual(lib(before));
    expect(lib(after).url).toBe(`${server.debianBase}debian/${SNAP1}/pool/main/bookworm/libhello1_1.0-1_amd64.deb`);
    expect(after.request.time).toBe('20240215T000000Z');
    // the bumped lock is a fresh lock of its own request
    expect((await runCli(['lock', '--check', file], { env: env() })).code).toBe(0);
    const again = await runCli(['bump', file, '--to', '20240215T000000Z'], { env: env() });
    expect(again.stdout).toContain('Already at this snapshot: nothing to change.');
  });
});

describe('sbom', () => {
  it('is CycloneDX 1.6 with purls, the locked SHA-256s and the dependency edges; deterministic', async () => {
    const r = await runCli(['sbom', lockFile], { env: env() });
    expect(r.code).toBe(0);
    const bom = JSON.parse(r.stdout);
    const lock = parseLockfile(await readFile(lockFile, 'utf8'));
    const purl = (n: string, v: string) => `pkg:deb/debian/${n}@${v}?arch=amd64&distro=debian-12`;
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 });
    expect(bom.serialNumber).toBeUndefined();
    expect(bom.metadata.timestamp).toBeUndefined();
    expect(bom.components.map((c: { purl: string; hashes: unknown }) => [c.purl, c.hashes])).toEqual(
      lock.packages.map((p) => [purl(p.name, p.version), [{ alg: 'SHA-256', content: p.sha256 }]]),
    );
    expect(bom.components.map((c: { hashes: { content: string }[] }) => c.hashes[0]!.content)).toEqual([sha(await readFile(pool(SNAP1, 'hello_1.0-1_amd64.deb'))), sha(await readFile(pool(SNAP1, 'libhello1_1.0-1_amd64.deb')))]);
    expect(bom.dependencies).toEqual([
      { ref: purl('hello', '1.0-1'), dependsOn: [purl('libhello1', '1.0-1')] },
      { ref: purl('libhello1', '1.0-1'), dependsOn: [] },
    ]);
    expect((await runCli(['sbom', lockFile], { env: env() })).stdout).toBe(r.stdout);
    const out = join(work, 'bom.json');
    const dated = await runCli(['sbom', lockFile, '-o', out], { env: env({ SOURCE_DATE_EPOCH: '1700000000' }) });
    expect(dated.code).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8')).metadata.timestamp).toBe('2023-11-14T22:13:20Z');
  });

  it('validates against the CycloneDX 1.6 JSON schema', async () => {
    const { Spec, Validation } = await import('@cyclonedx/cyclonedx-library');
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    const r = await runCli(['sbom', lockFile], { env: env({ SOURCE_DATE_EPOCH: '1700000000' }) });
    expect(await validator.validate(r.stdout)).toBeNull();
    expect(await validator.validate(JSON.stringify({ ...JSON.parse(r.stdout), components: [{ type: 'library', name: 'x', hashes: [{ alg: 'SHA-256', content: 'nothex' }] }] }))).not.toBeNull();
  });
});
