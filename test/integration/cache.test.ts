import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest, sha256Digest } from '../../src/oci/manifest.js';
import { parseReference } from '../../src/oci/reference.js';
import { openStore } from '../../src/oci/store.js';
import { pushDebs } from '../../src/cache/push.js';
import { buildDebs, cacheName, type DebSpec } from '../helpers/debs.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

const SPECS: DebSpec[] = [
  { name: 'hello', version: '2.10-3', payload: 20_000 },
  { name: 'libfoo1', version: '1:1.2~rc1+dfsg-1', payload: 50_000 },
  { name: 'foo-data', version: '1.2-1', arch: 'all' },
];

let registry: TestRegistry;
let debDir: string;
let work: string;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-cache-'));
  debDir = join(work, 'debs');
  await buildDebs(debDir, SPECS);
});
afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

const env = (extra: Record<string, string> = {}) => cleanEnv({ SOURCE_DATE_EPOCH: '1700000000', ...extra });

describe('cache push / pull / list against a real registry', () => {
  it('pushes, prints the digest; the same push again sends nothing and gives the same digest', async () => {
    const to = `oci://${registry.host}/deb/debian:bookworm-test`;
    const a = await runCli(['cache', 'push', debDir, '--to', to, '--distro', 'debian', '--codename', 'bookworm', '--root', work], { env: env() });
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(a.stderr).toMatch(new RegExp(`^repro-sources: pushed oci://${registry.host}/deb/debian:bookworm-test: 3 files, \\d+\\.\\d kB sent, 0 B skipped \\(already there\\), \\d+\\.\\d s\\n$`));
    const b = await runCli(['cache', 'push', debDir, '--to', to, '--distro', 'debian', '--codename', 'bookworm', '--root', work, '--json'], { env: env() });
    const doc = JSON.parse(b.stdout);
    expect(doc.digest).toBe(a.stdout.trim());
    expect(doc.bytesSent).toBe(0);
    expect(doc.files).toBe(3);
  });

  it('writes a deterministic artifact manifest that skopeo reads byte for byte', async () => {
    const to = `oci://${registry.host}/deb/debian:skopeo`;
    const r = await runCli(['cache', 'push', debDir, '--to', to, '--distro', 'debian', '--codename', 'bookworm', '--snapshot', '20231114T221320Z', '--arch', 'amd64', '--root', work], { env: env() });
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/deb/debian:skopeo`]);
    expect(sha256Digest(raw)).toBe(r.stdout.trim());
    const m = JSON.parse(raw.toString());
    expect(m.artifactType).toBe('application/vnd.repro-sources.deb-set.v1');
    expect(m.config).toEqual({ mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 });
    expect(m.annotations).toEqual({
      'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
      'io.github.repro-sources.distro': 'debian',
      'io.github.repro-sources.codename': 'bookworm',
      'io.github.repro-sources.snapshot': '20231114T221320Z',
      'io.github.repro-sources.architecture': 'amd64',
    });
    expect(m.layers.map((l: { annotations: Record<string, string> }) => l.annotations['org.opencontainers.image.title'])).toEqual([
      'foo-data_1.2-1_all.deb',
      'hello_2.10-3_amd64.deb',
      'libfoo1_1%3a1.2~rc1+dfsg-1_amd64.deb',
    ]);
    expect(m.layers[2].annotations['io.github.repro-sources.version']).toBe('1:1.2~rc1+dfsg-1');
    for (const l of m.layers) expect(l.mediaType).toBe('application/vnd.debian.binary-package');
  });

  it('pulls by digest into an empty dir (every byte equal), then again downloads nothing', async () => {
    const to = `oci://${registry.host}/deb/debian:pull`;
    const digest = (await runCli(['cache', 'push', debDir, '--to', to, '--root', work], { env: env() })).stdout.trim();
    const out = join(work, 'restored');
    const r = await runCli(['cache', 'pull', `oci://${registry.host}/deb/debian@${digest}`, '--to', out, '--json'], { env: env() });
    expect(r.code).toBe(0);
    const sizes = await Promise.all(SPECS.map(async (s) => (await stat(join(debDir, cacheName(s)))).size));
    // every byte counted, though the three downloads run at once
    expect(JSON.parse(r.stdout)).toMatchObject({ digest, files: 3, bytesReceived: sizes.reduce((a, b) => a + b, 0), bytesSkipped: 0 });
    expect((await readdir(out)).sort()).toEqual(SPECS.map(cacheName).sort());
    for (const s of SPECS) expect(sha(await readFile(join(out, cacheName(s))))).toBe(sha(await readFile(join(debDir, cacheName(s)))));
    const again = JSON.parse((await runCli(['cache', 'pull', `oci://${registry.host}/deb/debian@${digest}`, '--to', out, '--json'], { env: env() })).stdout);
    expect(again.bytesReceived).toBe(0);
    const listed = await runCli(['cache', 'list', `oci://${registry.host}/deb/debian@${digest}`], { env: env() });
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 3).join(' '))).toEqual(['foo-data 1.2-1 all', 'hello 2.10-3 amd64', 'libfoo1 1:1.2~rc1+dfsg-1 amd64']);
  });

  it('--merge adds to the set a tag holds', async () => {
    const to = `oci://${registry.host}/deb/debian:merge`;
    const one = join(work, 'one');
    await buildDebs(one, [{ name: 'extra', version: '1.0-1' }]);
    await runCli(['cache', 'push', debDir, '--to', to, '--root', work], { env: env() });
    await runCli(['cache', 'push', one, '--to', to, '--merge', '--root', work], { env: env() });
    const listed = await runCli(['cache', 'list', to], { env: env() });
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['extra', 'foo-data', 'hello', 'libfoo1']);
  });

  it('refuses a manifest with a hostile file name, writing nothing', async () => {
    const store = await openStore(parseReference(`oci://${registry.host}/deb/evil`));
    const real = await readFile(join(debDir, cacheName(SPECS[0]!)));
    const digest = sha256Digest(real);
    const { Readable } = await import('node:stream');
    await store.putBlob(digest, real.length, () => Readable.from([real]));
    await store.putBlob('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', 2, () => Readable.from([Buffer.from('{}')]));
    for (const title of ['../escape.deb', 'a/b.deb', 'x.sh', '.hidden.deb']) {
      const m = buildManifest([{ title: 'ok_1_amd64.deb', digest, size: real.length, package: 'ok', version: '1', architecture: 'amd64' }, { title, digest, size: real.length, package: 'x', version: '1', architecture: 'amd64' }], {});
      const d = await store.putManifest(m, 'evil');
      const out = join(work, `evil-${sha(Buffer.from(title)).slice(0, 8)}`);
      const r = await runCli(['cache', 'pull', `oci://${registry.host}/deb/evil@${d}`, '--to', out], { env: env() });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`refusing file name ${JSON.stringify(title)}`);
      expect(await readdir(out).catch(() => 'absent')).toBe('absent');
    }
    await store.close();
  });

  it('authenticates with --username and --password-stdin against an htpasswd registry, and says so when it cannot', async () => {
    const reg = await startRegistry({ auth: 'htpasswd' });
    try {
      const to = `oci://${reg.host}/deb/auth:t`;
      const anon = await runCli(['cache', 'push', debDir, '--to', to, '--root', work], { env: env() });
      expect(anon.code).toBe(1);
      expect(anon.stderr).toBe(`repro-sources: oci://${reg.host}/deb/auth: authentication required (no credentials: --username with --password-stdin, or docker login)\n`);
      const ok = await runCli(['cache', 'push', debDir, '--to', to, '--root', work, '--username', reg.username!, '--password-stdin'], { env: env(), input: `${reg.password}\n` });
      expect(ok.code).toBe(0);
      expect(ok.stderr).not.toContain(reg.password!);
      // Docker's config.json: auths with base64 user:password (the password holds a colon)
      const dockerConfig = join(work, 'docker');
      await mkdir(dockerConfig, { recursive: true });
      await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [`http://${reg.host}/v1/`]: { auth: Buffer.from(`${reg.username}:${reg.password}`).toString('base64') } } }));
      const listed = await runCli(['cache', 'list', to], { env: env({ DOCKER_CONFIG: dockerConfig }) });
      expect(listed.code).toBe(0);
      expect(listed.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    } finally {
      await reg.stop();
    }
  });
});

describe('cache against a registry with Bearer token auth', () => {
  it('gets a pull,push token with credentials, pull-only anonymously, and caches tokens per scope', async () => {
    const reg = await startRegistry({ auth: 'token' });
    try {
      const to = `oci://${reg.host}/deb/token:t`;
      const pushed = await runCli(['cache', 'push', debDir, '--to', to, '--root', work, '--username', reg.username!, '--password-stdin'], { env: env(), input: reg.password! });
      expect(pushed.stderr).not.toContain(reg.password!);
      expect(pushed.code).toBe(0);
      // one token per scope for the whole push, not one per request: a request whose 401 comes
      // back after another's token arrived is sent again with that token
      const pushScopes = reg.tokens!.log.filter((l) => l.user === 'testuser').map((l) => l.scopes.join(' '));
      expect(pushScopes.sort()).toEqual(['repository:deb/token:pull', 'repository:deb/token:pull,push']);
      const anonPush = await runCli(['cache', 'push', debDir, '--to', `oci://${reg.host}/deb/token:anon`, '--root', work], { env: env() });
      expect(anonPush.code).toBe(1);
      expect(anonPush.stderr).toMatch(/authentication failed for repository:deb\/token:pull,push|access denied/);
      const pulled = await runCli(['cache', 'pull', `oci://${reg.host}/deb/token@${pushed.stdout.trim()}`, '--to', join(work, 'token-out'), '--json'], { env: env() });
      expect(pulled.code).toBe(0);
      expect(JSON.parse(pulled.stdout).files).toBe(3);
    } finally {
      await reg.stop();
    }
  });
});

describe('cache with an OCI image layout, and skopeo as the go-between', () => {
  it('pushes to a layout, skopeo copies it to the registry and back, and pull reads the copy', async () => {
    const layout = join(work, 'layout');
    const pushed = await runCli(['cache', 'push', debDir, '--to', `oci-layout:${layout}:set1`, '--root', work], { env: env() });
    expect(pushed.code).toBe(0);
    const digest = pushed.stdout.trim();
    expect(JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')).manifests).toEqual([
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: expect.any(Number), annotations: { 'org.opencontainers.image.ref.name': 'set1' } },
    ]);
    execFileSync('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout}:set1`, `docker://${registry.host}/deb/fromlayout:set1`], { stdio: 'ignore' });
    const back = join(work, 'layout-back');
    execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${registry.host}/deb/fromlayout:set1`, `oci:${back}:copy`], { stdio: 'ignore' });
    const out = join(work, 'from-copy');
    const r = await runCli(['cache', 'pull', `oci-layout:${back}:copy`, '--to', out, '--json'], { env: env() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ digest, files: 3 });
    const viaRegistry = await runCli(['cache', 'pull', `oci://${registry.host}/deb/fromlayout@${digest}`, '--to', join(work, 'from-reg'), '--json'], { env: env() });
    expect(JSON.parse(viaRegistry.stdout)).toMatchObject({ digest, files: 3 });
  });

  it('detects a blob whose bytes do not match its digest, and leaves no file behind', async () => {
    const layout = join(work, 'tampered');
    const digest = (await runCli(['cache', 'push', debDir, '--to', `oci-layout:${layout}:t`, '--root', work], { env: env() })).stdout.trim();
    const m = JSON.parse(await readFile(join(layout, 'blobs/sha256', digest.slice(7)), 'utf8'));
    const victim = m.layers[1].digest.slice(7);
    const bytes = await readFile(join(layout, 'blobs/sha256', victim));
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(join(layout, 'blobs/sha256', victim), bytes);
    const out = join(work, 'tampered-out');
    const r = await runCli(['cache', 'pull', `oci-layout:${layout}@${digest}`, '--to', out], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^repro-sources: oci-layout:.*@sha256:[0-9a-f]{64} \(hello_2\.10-3_amd64\.deb\): digest mismatch: expected sha256:[0-9a-f]{64} \(\d+ bytes\), got sha256:[0-9a-f]{64} \(\d+ bytes\)\n$/);
    expect((await readdir(out)).filter((f) => f.startsWith('hello'))).toEqual([]);
  });

  it('rejects a manifest whose bytes do not match the digest asked for', async () => {
    const layout = join(work, 'm-tampered');
    const digest = (await runCli(['cache', 'push', debDir, '--to', `oci-layout:${layout}:t`, '--root', work], { env: env() })).stdout.trim();
    const p = join(layout, 'blobs/sha256', digest.slice(7));
    await writeFile(p, (await readFile(p, 'utf8')).replace('hello', 'hellp'));
    const r = await runCli(['cache', 'list', `oci-layout:${layout}@${digest}`], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/digest mismatch: expected sha256:/);
  });

  it('pushDebs: the same files and inputs give the same digest in a fresh store', async () => {
    const a = await openStore(parseReference(`oci-layout:${join(work, 'det-a')}`));
    const b = await openStore(parseReference(`oci-layout:${join(work, 'det-b')}`));
    const info = { distro: 'debian', codename: 'bookworm', snapshot: '20231114T221320Z', architecture: 'amd64', created: 1700000000, tag: 't' };
    expect((await pushDebs(debDir, a, info)).digest).toBe((await pushDebs(debDir, b, info)).digest);
  });
});
