/**
 * serve against an archive made like Debian's (Acquire-By-Hash, by-hash copies of every index),
 * with real apt clients, a real registry and an OCI layout; then attacked: Releases signed by
 * another key, cut off or not Releases at all, stored objects corrupted on disk, Range requests.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedApt } from '../../src/apt/isolated-apt.js';
import { parseReference } from '../../src/oci/reference.js';
import { openStore, type BlobStore } from '../../src/oci/store.js';
import { rewriteSources } from '../../src/rewrite/rewrite.js';
import { startServe } from '../../src/serve/server.js';
import { fileTag } from '../../src/serve/store-access.js';
import { buildSignedArchive, debianSources, listDir, SEC1, SEC2, SNAP1, SNAP2, type SignedArchive } from '../helpers/archive.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';

let archive: SignedArchive;
let upstream: SnapshotServer;
let registry: TestRegistry;
let work: string;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const HELLO = 'pool/main/bookworm/hello_1.0-1_amd64.deb';

beforeAll(async () => {
  archive = await buildSignedArchive({ byHash: true });
  upstream = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-serve-trust-'));
});
afterAll(async () => {
  await upstream.stop();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
  await rm(archive.root, { recursive: true, force: true });
});

const serveOpts = { listen: '127.0.0.1:0', keyrings: [] as string[], defaultKeyrings: false };
beforeAll(() => {
  serveOpts.keyrings = [archive.keyring];
});

async function aptInstall(name: string, serveUrl: string, pkgs: string[]): Promise<string[]> {
  const sources = rewriteSources(debianSources(archive.keyring), { id: '20240115T000000Z', snapshotBase: serveUrl, file: 'debian.sources' }).text;
  const apt = await createIsolatedApt({ dir: join(work, name), sources: { 'debian.sources': sources } });
  await apt.check(['update']);
  await apt.check(['install', '--download-only', '-y', ...pkgs]);
  return listDir(apt.archivesDir);
}

interface Got {
  status: number;
  body: Buffer;
  /** The whole body arrived (no reset, as long as Content-Length said). */
  complete: boolean;
  headers: Record<string, unknown>;
}

function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      const done = (complete: boolean): void => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), complete, headers: res.headers });
      res.on('end', () => done(res.complete));
      res.on('error', () => done(false));
      res.on('aborted', () => done(false));
    });
    req.on('error', () => resolve({ status: 0, body: Buffer.alloc(0), complete: false, headers: {} }));
    req.end();
  });
}

const upstreamFiles = (from: number): Map<string, number> => {
  const per = new Map<string, number>();
  for (const l of upstream.log.slice(from)) {
    if (l.status === 302) per.set(l.path, (per.get(l.path) ?? 0) + 1);
  }
  return per;
};

describe('serve: by-hash, like Debian', () => {
  it('8 parallel apt clients: every index by hash, each object fetched upstream once; then with upstream gone a fresh client updates and downloads', async () => {
    const store = await openStore(parseReference(`oci://${registry.host}/serve/byhash`));
    const s = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store });
    const before = upstream.log.length;
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => aptInstall(`bh-${i}`, s.url, ['hello'])));
    for (const r of results) expect(r).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
    const per = upstreamFiles(before);
    // apt asked for the indexes by hash, and serve went upstream for each object once
    expect([...per.keys()].filter((p) => p.includes('/by-hash/SHA256/')).length).toBeGreaterThan(0);
    expect([...per].filter(([, n]) => n !== 1)).toEqual([]);
    expect(s.metrics.toJSON()).toMatchObject({ unverified: 0, integrityFailures: 0 });
    await s.close();

    await upstream.stop();
    const b = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store });
    expect(await aptInstall('bh-offline', b.url, ['hello', 'tool'].slice(0, 1))).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
    expect(b.metrics.toJSON()).toMatchObject({ upstreamFetches: 0, integrityFailures: 0, unverified: 0 });
    await b.close();
    await store.close();
    upstream = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  }, 180_000);

  it('keeps a by-hash object whose bytes match its name, refuses one that does not, and keeps an MD5Sum name only through the SHA256 beside it', async () => {
    const layout = join(work, 'layout-bh');
    const store = await openStore(parseReference(`oci-layout:${layout}`));
    const s = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store });
    const packages = await readFile(join(archive.root, 'debian', SNAP1, 'dists/bookworm/main/binary-amd64/Packages.gz'));
    const md5 = createHash('md5').update(packages).digest('hex');
    const base = `${s.url}debian/${SNAP1}/dists/bookworm/main/binary-amd64/by-hash`;
    const r = await get(`${base}/MD5Sum/${md5}`);
    expect(r.status).toBe(200);
    expect(r.body.equals(packages)).toBe(true);
    expect(await readFile(join(layout, 'blobs/sha256', sha256(packages)))).toEqual(packages);
    // a name that is not what upstream sends: 502, nothing kept
    const wrong = sha256(Buffer.from('other bytes'));
    upstream.fault(new RegExp(`by-hash/SHA256/${wrong}$`), [{ status: 200, body: 'not those bytes' }]);
    expect((await get(`${base}/SHA256/${wrong}`)).status).toBe(502);
    expect(await readdir(join(layout, 'blobs/sha256'))).not.toContain(wrong);
    expect(s.metrics.integrityFailures).toBe(1);
    await s.close();
    await store.close();
  });
});

describe('serve: .debs against their index', () => {
  it('never keeps a .deb whose bytes differ from its Packages index: 502, and the right bytes once upstream sends them', async () => {
    const layout = join(work, 'layout-deb');
    const store = await openStore(parseReference(`oci-layout:${layout}`));
    const s = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store });
    expect((await get(`${s.url}debian/${SNAP1}/dists/bookworm/main/binary-amd64/Packages.xz`)).status).toBe(200);
    const good = await readFile(join(archive.root, 'debian', SNAP1, HELLO));
    const forged = Buffer.from(good);
    forged[forged.length - 1]! ^= 1;
    upstream.fault(/hello_1\.0-1_amd64\.deb$/, [{ status: 200, body: forged.toString('latin1') }]);
    const r = await get(`${s.url}debian/${SNAP1}/${HELLO}`);
    expect(r.status).toBe(502);
    expect(await readdir(join(layout, 'blobs/sha256'))).not.toContain(sha256(forged));
    expect(await readdir(join(layout, 'blobs/sha256'))).not.toContain(sha256(good));
    expect(s.metrics.integrityFailures).toBe(1);
    expect((await get(`${s.url}debian/${SNAP1}/${HELLO}`)).body.equals(good)).toBe(true);
    expect(await readdir(join(layout, 'blobs/sha256'))).toContain(sha256(good));
    // the failed fetch's temp file went with it, the good one's when its reader finished
    const own = (await readdir(tmpdir())).filter((n) => n.startsWith(`repro-sources-serve-${process.pid}-`));
    expect(own.length).toBeGreaterThan(0);
    let left: string[] = [];
    for (let i = 0; i < 100; i++) {
      left = (await Promise.all(own.map((d) => readdir(join(tmpdir(), d)).catch(() => [] as string[])))).flat();
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(left).toEqual([]);
    await s.close();
    await store.close();
  });
});

describe('serve: Release tags under parallel requests', () => {
  it('six Releases asked for at once into one layout are all kept', async () => {
    const layout = join(work, 'layout-six');
    const store = await openStore(parseReference(`oci-layout:${layout}`));
    const s = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store });
    const paths = [
      ...[SNAP1, SNAP2].flatMap((id) => ['bookworm', 'bookworm-updates'].map((suite) => `debian/${id}/dists/${suite}/InRelease`)),
      ...[SEC1, SEC2].map((id) => `debian-security/${id}/dists/bookworm-security/InRelease`),
    ];
    const answers = await Promise.all(paths.map((p) => get(`${s.url}${p}`)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { annotations: Record<string, string> }[] };
    const tags = index.manifests.map((m) => m.annotations['org.opencontainers.image.ref.name']).sort();
    expect(tags).toEqual(paths.map((p) => { const [a, id, ...rest] = p.split('/'); return fileTag('r', a!, id!, rest.join('/')); }).sort());
    await s.close();
    await store.close();
  });
});

describe('serve: roots of trust', () => {
  it('refuses an InRelease signed by another key (502, never kept), and serves the right one as soon as upstream is fixed', async () => {
    const home = join(work, 'other-gpg');
    execFileSync('mkdir', ['-m', '700', home]);
    const g = { ...process.env, GNUPGHOME: home };
    execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'someone else <else@example.invalid>', 'ed25519', 'sign', '2d'], { env: g, stdio: 'ignore' });
    const release = join(archive.root, 'debian', SNAP1, 'dists/bookworm/Release');
    const forged = execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--clearsign', '-o', '-', release], { env: g });
    const store = await openStore(parseReference(`oci-layout:${join(work, 'layout-trust')}`));
    const s = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store });
    const url = `${s.url}debian/${SNAP1}/dists/bookworm/InRelease`;
    upstream.fault(/bookworm\/InRelease$/, [{ status: 200, body: forged.toString() }, { status: 200, body: forged.toString() }]);
    expect((await get(url)).status).toBe(502);
    expect((await get(url)).status).toBe(502);
    expect(await store.getManifest({ tag: fileTag('r', 'debian', SNAP1, 'dists/bookworm/InRelease') })).toBeUndefined();
    // upstream fixed: the next request asks again
    const good = await get(url);
    expect(good.status).toBe(200);
    expect(good.body.equals(await readFile(join(archive.root, 'debian', SNAP1, 'dists/bookworm/InRelease')))).toBe(true);
    expect(await aptInstall('trust-after', s.url, ['hello'])).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
    expect(s.metrics.integrityFailures).toBe(2);

    // Release with Release.gpg: the detached signature is checked the same way
    const detached = execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--armor', '--detach-sign', '-o', '-', release], { env: g });
    upstream.fault(/bookworm-updates\/Release\.gpg$/, [{ status: 200, body: detached.toString() }]);
    const updates = `${s.url}debian/${SNAP1}/dists/bookworm-updates/Release`;
    expect((await get(updates)).status).toBe(502);
    // the archive has no Release.gpg of its own: with a keyring, a Release without one is not kept either
    expect((await get(`${updates}.gpg`)).status).toBe(502);
    const home2 = { ...process.env, GNUPGHOME: archive.gnupgHome };
    const updatesRelease = join(archive.root, 'debian', SNAP1, 'dists/bookworm-updates/Release');
    const sig = execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--armor', '--detach-sign', '-o', '-', updatesRelease], { env: home2 });
    upstream.fault(/bookworm-updates\/Release\.gpg$/, [{ status: 200, body: sig.toString() }]);
    const fixed = await get(updates);
    expect(fixed.status).toBe(200);
    expect(fixed.body.equals(await readFile(updatesRelease))).toBe(true);
    expect((await get(`${updates}.gpg`)).body.equals(sig)).toBe(true);
    expect(s.metrics.integrityFailures).toBe(4);
    await s.close();
    await store.close();
  });

  it('without a keyring, keeps neither a cut-off InRelease nor a 200 HTML page, and says so at start', async () => {
    const lines: string[] = [];
    const store = await openStore(parseReference(`oci-layout:${join(work, 'layout-nokey')}`));
    const s = await startServe({ listen: '127.0.0.1:0', defaultKeyrings: false, archives: ['debian'], upstreams: [upstream.debianBase], store, log: (l) => lines.push(l) });
    expect(lines).toEqual(['repro-sources: serve: no keyring for debian: their Releases are kept unchecked if whole and parseable (--keyring FILE adds one)']);
    const url = `${s.url}debian/${SNAP1}/dists/bookworm/InRelease`;
    upstream.fault(/bookworm\/InRelease$/, ['cut', { status: 200, body: '<html><body>Service busy</body></html>' }]);
    expect((await get(url)).status).toBe(502);
    expect((await get(url)).status).toBe(502);
    expect(await store.getManifest({ tag: fileTag('r', 'debian', SNAP1, 'dists/bookworm/InRelease') })).toBeUndefined();
    const good = await get(url);
    expect(good.status).toBe(200);
    expect(good.body.toString()).toContain('Codename: bookworm');
    expect(await store.getManifest({ tag: fileTag('r', 'debian', SNAP1, 'dists/bookworm/InRelease') })).toBeDefined();
    await s.close();
    await store.close();
  });
});

describe('serve: verified hits', () => {
  /** memory: small objects are read whole and checked before a byte goes out (a wrong copy never reaches the client, which gets the refetched bytes at once); without it objects are checked as they stream and the transfer is cut. */
  async function corruptAndCheck(store: BlobStore, blobFile: () => Promise<string>, damage: (file: string) => Promise<void>, memory: boolean): Promise<void> {
    const good = await readFile(join(archive.root, 'debian', SNAP1, HELLO));
    const s = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store, ...(memory ? {} : { memoryCache: { bytes: 0 } }) });
    const url = `${s.url}debian/${SNAP1}/${HELLO}`;
    // the Packages index first, as apt would
    expect((await get(`${s.url}debian/${SNAP1}/dists/bookworm/main/binary-amd64/Packages.gz`)).status).toBe(200);
    expect((await get(url)).body.equals(good)).toBe(true);
    await damage(await blobFile());
    const bad = await get(url);
    // never a whole 200 body of wrong bytes
    if (memory) expect(bad.body.equals(good)).toBe(true);
    else expect(bad.complete && bad.status === 200).toBe(false);
    expect(s.metrics.integrityFailures).toBe(1);
    const again = await get(url);
    expect(again.status).toBe(200);
    expect(again.complete).toBe(true);
    expect(again.body.equals(good)).toBe(true);
    await s.close();
  }
  const flip = async (file: string): Promise<void> => {
    const b = await readFile(file);
    b[Math.floor(b.length / 2)]! ^= 0xff;
    await writeFile(file, b);
  };
  const cut = (file: string): Promise<void> => truncate(file, 100);
  const helloDigest = async (): Promise<string> => sha256(await readFile(join(archive.root, 'debian', SNAP1, HELLO)));

  for (const [name, damage] of [['a flipped byte', flip], ['a blob truncated to 100 bytes', cut]] as const) {
    it(`oci-layout: ${name} is never served as a 200 (checked while streaming: the transfer is cut); the next request fetches and keeps good bytes`, async () => {
      const dir = join(work, `layout-hit-${name.length}`);
      const store = await openStore(parseReference(`oci-layout:${dir}`));
      await corruptAndCheck(store, async () => join(dir, 'blobs/sha256', await helloDigest()), damage, false);
      expect(sha256(await readFile(join(dir, 'blobs/sha256', await helloDigest())))).toBe(await helloDigest());
      await store.close();
    });

    it(`registry storage: ${name} is never served (small: checked whole first, refetched at once); the next request is answered from upstream`, async () => {
      const store = await openStore(parseReference(`oci://${registry.host}/serve/hit-${name.length}`));
      await corruptAndCheck(store, async () => {
        const d = await helloDigest();
        return join(registry.storage, 'docker/registry/v2/blobs/sha256', d.slice(0, 2), d, 'data');
      }, damage, true);
      await store.close();
    });
  }
});

describe('serve: Range', () => {
  it('answers Range and If-Range on a kept object with 206 and exactly those bytes (node and curl)', async () => {
    const store = await openStore(parseReference(`oci-layout:${join(work, 'layout-range')}`));
    const s = await startServe({ ...serveOpts, upstreams: [upstream.debianBase], store });
    const good = await readFile(join(archive.root, 'debian', SNAP1, HELLO));
    const url = `${s.url}debian/${SNAP1}/${HELLO}`;
    expect((await get(`${s.url}debian/${SNAP1}/dists/bookworm/main/binary-amd64/Packages.gz`)).status).toBe(200);
    expect((await get(url)).status).toBe(200);
    const hits = s.metrics.hits;
    const mid = await get(url, { range: 'bytes=100-199' });
    expect(mid.status).toBe(206);
    expect(mid.headers['content-range']).toBe(`bytes 100-199/${good.length}`);
    expect(mid.body.equals(good.subarray(100, 200))).toBe(true);
    const tail = await get(url, { range: 'bytes=-50' });
    expect(tail.body.equals(good.subarray(good.length - 50))).toBe(true);
    const etag = `"${sha256(good)}"`;
    const resumed = await get(url, { range: 'bytes=10-', 'if-range': etag });
    expect(resumed.status).toBe(206);
    expect(resumed.body.equals(good.subarray(10))).toBe(true);
    const changed = await get(url, { range: 'bytes=10-', 'if-range': '"0000"' });
    expect(changed.status).toBe(200);
    expect(changed.body.equals(good)).toBe(true);
    expect((await get(url, { range: `bytes=${good.length}-` })).status).toBe(416);
    // not execFileSync: serve runs in this process
    const curl = await new Promise<Buffer>((resolve, reject) => execFile('curl', ['-sS', '-r', '5-9', '-o', '-', '-w', '%{http_code}', url], { encoding: 'buffer' }, (e, out) => (e ? reject(e) : resolve(out))));
    expect(curl.equals(Buffer.concat([good.subarray(5, 10), Buffer.from('206')]))).toBe(true);
    expect(s.metrics.hits).toBe(hits + 6);
    await s.close();
    await store.close();
  });
});
