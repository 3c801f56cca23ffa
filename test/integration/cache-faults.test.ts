import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/oci/reference.js';
import { openStore } from '../../src/oci/store.js';
import { pushDebs } from '../../src/cache/push.js';
import { pullDebs } from '../../src/cache/pull.js';
import { buildDebs } from '../helpers/debs.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js';

let registry: TestRegistry;
let proxy: FaultProxy;
let work: string;
let debDir: string;
const waits: number[] = [];
const sleep = async (ms: number): Promise<void> => {
  waits.push(ms);
};

beforeAll(async () => {
  registry = await startRegistry();
  proxy = await startFaultProxy(registry.url);
  work = await mkdtemp(join(tmpdir(), 'rs-faults-'));
  debDir = join(work, 'debs');
  await buildDebs(debDir, [{ name: 'big', version: '1.0-1', payload: 300_000 }, { name: 'small', version: '2.0-1' }]);
});
afterAll(async () => {
  await proxy.stop();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('cache against a registry that fails', () => {
  it('retries a 503 on the blob PUT (a fresh upload session), honours Retry-After, and pushes the set', async () => {
    waits.length = 0;
    proxy.fault('PUT', /\/blobs\/uploads\//, [{ status: 503, headers: { 'retry-after': '3' } }, 'reset']);
    const store = await openStore(parseReference(`oci://${proxy.host}/deb/faults:t`), { sleep });
    const r = await pushDebs(debDir, store, { tag: 't', concurrency: 1 });
    await store.close();
    expect(r.files).toBe(2);
    expect(waits[0]).toBe(3000);
    expect(waits).toHaveLength(2);
    // each failed PUT was followed by a new POST (a new session), not a reuse of the dead one
    const uploads = proxy.log.filter((l) => l.path.includes('/blobs/uploads/'));
    expect(uploads.slice(0, 6).map((l) => `${l.method}${l.fault ? ` ${l.fault}` : ''}`)).toEqual(['POST', 'PUT 503', 'POST', 'PUT reset', 'POST', 'PUT']);
  });

  it('sends a manifest PUT again when the registry misreads its own link file (DIGEST_INVALID under a tag), but not a blob PUT', async () => {
    waits.length = 0;
    const invalid = { status: 400, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}' };
    proxy.fault('PUT', /\/manifests\/again$/, [invalid, invalid]);
    const store = await openStore(parseReference(`oci://${proxy.host}/deb/faults:again`), { sleep });
    const r = await pushDebs(debDir, store, { tag: 'again' });
    expect((await store.getManifest({ tag: 'again' }))?.digest).toBe(r.digest);
    expect(proxy.log.filter((l) => l.path.endsWith('/manifests/again') && l.method === 'PUT').map((l) => l.fault ?? 'sent')).toEqual(['400', '400', 'sent']);
    expect(waits).toHaveLength(2);

    // a blob the registry hashed to other bytes is a corrupt file here: no second try
    await buildDebs(join(work, 'one'), [{ name: 'fresh', version: '1.0-1' }]);
    proxy.fault('PUT', /\/blobs\/uploads\//, [invalid]);
    await expect(pushDebs(join(work, 'one'), store, { tag: 'blob' })).rejects.toThrow('the registry found other bytes than the digest promised (DIGEST_INVALID)');
    await store.close();
  });

  it('retries a download cut short, and leaves no partial file', async () => {
    const store = await openStore(parseReference(`oci://${proxy.host}/deb/faults`), { sleep });
    const digest = (await pushDebs(debDir, store, { tag: 'cut' })).digest;
    const out = join(work, 'out');
    proxy.fault('GET', /\/blobs\/sha256:/, ['cut-response', 'cut-response']);
    const r = await pullDebs(store, out, { digest, concurrency: 1 });
    await store.close();
    expect(r.files).toBe(2);
    expect((await readdir(out)).sort()).toEqual(['big_1.0-1_amd64.deb', 'small_2.0-1_amd64.deb']);
    for (const name of ['big_1.0-1_amd64.deb', 'small_2.0-1_amd64.deb']) {
      const a = createHash('sha256').update(await readFile(join(out, name))).digest('hex');
      const b = createHash('sha256').update(await readFile(join(debDir, name))).digest('hex');
      expect(a).toBe(b);
    }
    expect(proxy.log.filter((l) => l.fault === 'cut-response')).toHaveLength(2);
  });

  it('gives up after the tries with an error, and no partial file is left', async () => {
    const store = await openStore(parseReference(`oci://${proxy.host}/deb/faults`), { sleep });
    const digest = (await pushDebs(debDir, store, { tag: 'cut2' })).digest;
    const out = join(work, 'out2');
    proxy.fault('GET', /\/blobs\/sha256:/, Array(10).fill('cut-response'));
    await expect(pullDebs(store, out, { digest, concurrency: 1, tries: 2 })).rejects.toThrow();
    await store.close();
    expect((await readdir(out)).filter((f) => f.endsWith('.part'))).toEqual([]);
  });
});
