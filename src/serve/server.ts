/**
 * serve: an apt-facing HTTP server for snapshot URLs, backed by the OCI cache. Everything under an
 * exact snapshot id is immutable, so each object is fetched from upstream at most once (single
 * flight here, the shared store across processes) and checked before it is kept: a Release
 * against the archive's key (trust.ts), indexes (by path or by-hash name) against their Release,
 * .debs against the Packages index of their snapshot. A kept object is checked again while it
 * streams out. The parts: paths.ts (what a request is), upstream.ts + fetch.ts (getting and
 * checking), trust.ts + indexes.ts (Releases and the hashes they and Packages list),
 * store-access.ts (keeping), resolutions.ts (time -> id), respond.ts (answers).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Transport } from '../net/request.js';
import { processTempDir } from '../fs/process-temp.js';
import type { BlobStore } from '../oci/store.js';
import { ARCHIVES, archiveInfo } from '../snapshot/archives.js';
import { FetchError, Fetcher, type Expected, type Lease } from './fetch.js';
import { Metrics } from './metrics.js';
import { parseRequestPath, type ParsedRequest } from './paths.js';
import { createIndexes } from './indexes.js';
import { byHashTarget } from './release-hashes.js';
import { HotObjects } from './hot-objects.js';
import { Resolutions } from './resolutions.js';
import { send, streamOut } from './respond.js';
import { CacheStore } from './store-access.js';
import { Trust } from './trust.js';
import { createUpstream } from './upstream.js';

export interface ServeOptions {
  /** host:port. @default 127.0.0.1:3142 */
  listen?: string;
  /** Snapshot bases to fetch from, in order (default: each archive's own service). */
  upstreams?: readonly string[];
  /** Where objects are kept; without one serve only deduplicates concurrent fetches. */
  store?: BlobStore | undefined;
  /** Archives served. @default every known snapshot archive */
  archives?: readonly string[];
  /** Keyrings that may sign any served archive's Releases, besides the distro keyrings. */
  keyrings?: readonly string[];
  /** Trust the Debian and Ubuntu keyrings under /usr/share/keyrings when present. @default true */
  defaultKeyrings?: boolean;
  /** Small objects kept in memory after a store hit: total bytes, and the largest object. @default 64 MiB, 1 MiB */
  memoryCache?: { bytes?: number; objectMax?: number };
  /** How long close() lets responses under way finish before cutting them. @default 10000 */
  drainMs?: number;
  retries?: number;
  maxWaitMs?: number;
  dispatcher?: Transport;
  log?: (line: string) => void;
}

export interface ServeHandle {
  url: string;
  metrics: Metrics;
  /** Stops accepting, lets responses under way finish (up to drainMs), then releases everything. */
  close(): Promise<void>;
}

export async function startServe(o: ServeOptions = {}): Promise<ServeHandle> {
  const metrics = new Metrics();
  const log = o.log ?? (() => {});
  const archives = new Set(o.archives ?? [...ARCHIVES.keys()]);
  const upstream = createUpstream({ retries: o.retries ?? 4, maxWaitMs: o.maxWaitMs ?? 30_000, ...(o.dispatcher ? { dispatcher: o.dispatcher } : {}) });
  const tmpDir = await processTempDir('repro-sources-serve-');
  const basesFor = (archive: string): string[] => {
    const list = o.upstreams && o.upstreams.length > 0 ? [...o.upstreams] : [archiveInfo(archive)!.defaultBase];
    return list.map((u) => (u.endsWith('/') ? u : `${u}/`));
  };
  const fetcher = new Fetcher({ upstream, basesFor, tmpDir, metrics });
  const cache = new CacheStore(o.store, metrics, log);
  const trust = new Trust({ tmpDir, ...(o.keyrings ? { keyrings: o.keyrings } : {}), ...(o.defaultKeyrings !== undefined ? { defaultKeyrings: o.defaultKeyrings } : {}) });
  const resolutions = new Resolutions({ upstream, basesFor, cache });
  /** Digests whose stored bytes were wrong and that the store could not forget: fetched again while this process runs. */
  const distrusted = new Set<string>();
  const hot = new HotObjects(o.memoryCache?.bytes ?? 64 << 20, o.memoryCache?.objectMax ?? 1 << 20);
  const inFlight = new Set<Promise<unknown>>();

  const indexes = createIndexes({ fetcher, cache, trust, metrics, distrusted });

  /** What the object must be, from the Release or a Packages index; `keep` says it may be stored. */
  async function expectationFor(req: ParsedRequest, id: string): Promise<{ expected: Expected; keep: boolean; indexFile?: string } | undefined> {
    const w = req.what;
    if (w.kind === 'index') {
      const l = (await indexes.suiteHashes(req.archive, id, w.suite))?.byPath.get(w.file);
      return l?.sha256 ? { expected: { sha256: l.sha256, size: l.size }, keep: true, indexFile: w.file } : undefined;
    }
    if (w.kind === 'by-hash') {
      const rh = await indexes.suiteHashes(req.archive, id, w.suite);
      const target = rh && byHashTarget(rh, w.dir, w.algo, w.hash);
      if (target) return { expected: { sha256: target.sha256, size: target.size, ...(w.algo === 'SHA512' ? { sha512: w.hash } : {}) }, keep: true, indexFile: target.path };
      // not in the Release: the name alone says what the bytes are; only a sha256 name can be kept by it
      if (w.algo === 'SHA256') return { expected: { sha256: w.hash, size: -1 }, keep: true };
      if (w.algo === 'SHA512') return { expected: { sha512: w.hash, size: -1 }, keep: false };
      return undefined;
    }
    if (w.kind === 'pool') {
      const h = await indexes.poolHash(req.archive, id, w.file);
      return h ? { expected: { sha256: h.sha256, size: h.size }, keep: true } : undefined;
    }
    return undefined;
  }

  /**
   * Answers from what is kept, checking the bytes: a small object is read and checked whole
   * before a byte goes out (wrong bytes then never reach the client: the caller fetches the
   * object again); a large one is checked as it streams, and a mismatch cuts the transfer.
   * false: not kept (or not usable), the caller goes upstream.
   */
  async function hit(req: IncomingMessage, res: ServerResponse, path: string, sha256: string, size: number, started: number): Promise<boolean> {
    const digest = `sha256:${sha256}`;
    const onBytes = (n: number): void => {
      metrics.bytesServed += n;
    };
    const warm = hot.get(digest);
    if (warm) {
      const outcome = await streamOut(req, res, size, Readable.from([warm]), { sha256, onBytes });
      if (outcome === 'mismatch') hot.delete(digest);
      if (outcome !== 'mismatch') metrics.recordHit(performance.now() - started);
      return outcome !== 'mismatch' || res.headersSent;
    }
    const body = await cache.open(digest);
    if (!body) return false;
    if (size <= hot.maxObject) {
      const chunks: Buffer[] = [];
      let n = 0;
      try {
        for await (const c of body as AsyncIterable<Buffer>) {
          n += c.length;
          if (n > size) break;
          chunks.push(c);
        }
      } catch {
        metrics.storeErrors++;
        return false;
      }
      body.destroy();
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== size || createHash('sha256').update(bytes).digest('hex') !== sha256) {
        await forgetStored(digest, path);
        return false;
      }
      hot.set(digest, bytes);
      await streamOut(req, res, size, Readable.from([bytes]), { sha256, onBytes });
      metrics.recordHit(performance.now() - started);
      return true;
    }
    const outcome = await streamOut(req, res, size, body, { sha256, onBytes });
    if (outcome === 'mismatch') await forgetStored(digest, path);
    else if (outcome === 'failed') metrics.storeErrors++;
    else metrics.recordHit(performance.now() - started);
    return true;
  }

  async function storedRight(digest: string): Promise<boolean> {
    const body = await cache.open(digest);
    if (!body) return false;
    const h = createHash('sha256');
    try {
      for await (const c of body as AsyncIterable<Buffer>) h.update(c);
    } catch {
      return false;
    }
    return `sha256:${h.digest('hex')}` === digest;
  }

  /** Stored bytes that are not what their digest says: counted, dropped from the store, fetched again. */
  async function forgetStored(digest: string, path: string): Promise<void> {
    metrics.integrityFailures++;
    distrusted.add(digest);
    await cache.forget(digest);
    log(`repro-sources: serve: the stored ${digest} (${path}) is not what its digest says: forgotten, fetched again`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    metrics.requests++;
    const started = performance.now();
    const url = req.url ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET and HEAD');
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url.startsWith('/metrics')) {
      const prom = url.includes('format=prometheus') || (req.headers.accept ?? '').includes('text/plain');
      return send(res, 200, prom ? metrics.toPrometheus() : `${JSON.stringify(metrics)}\n`, prom ? 'text/plain; version=0.0.4' : 'application/json');
    }
    const parsed = parseRequestPath(url, archives);
    if ('status' in parsed) return send(res, parsed.status, `${parsed.reason}\n`);
    const id = await resolutions.exactId(parsed.archive, parsed.time);
    if (id !== parsed.time) {
      metrics.redirects++;
      res.writeHead(301, { location: `/${parsed.archive}/${id}/${parsed.path}` });
      return void res.end();
    }
    const w = parsed.what;
    if (w.kind === 'release') {
      const bytes = (await indexes.releaseSet(parsed.archive, id, w.suite, w.file)).get(w.file);
      if (!bytes) return send(res, 404, 'not found\n');
      await streamOut(req, res, bytes.length, Readable.from([bytes]), { onBytes: (n) => (metrics.bytesServed += n) });
      return;
    }
    const want = await expectationFor(parsed, id);
    const e = want?.expected;
    if (want && e?.sha256 && e.size >= 0 && want.keep && !distrusted.has(`sha256:${e.sha256}`) && (await hit(req, res, parsed.path, e.sha256, e.size, started))) return;
    metrics.misses++;
    // not listed in any index we know: passed through, never stored
    if (!want) metrics.unverified++;
    const keep = want && want.keep && cache.enabled
      ? async (l: Lease): Promise<void> => {
          if (want.indexFile) await indexes.keepIndex(parsed.archive, id, want.indexFile, l);
          else await cache.keep(l, parsed.path);
          // a registry keeps its old data file on re-upload: trust the store again only once it reads back right
          if (distrusted.has(l.digest) && (await storedRight(l.digest))) distrusted.delete(l.digest);
        }
      : want?.indexFile
        ? (l: Lease) => indexes.learnPackages(parsed.archive, id, want!.indexFile!, () => createReadStream(l.path)).catch(() => {})
        : undefined;
    let lease: Lease;
    try {
      lease = await fetcher.fetch(parsed.archive, id, parsed.rawPath, e, keep);
    } catch (err) {
      const status = err instanceof FetchError ? err.status : 502;
      return send(res, status, status === 404 ? 'not found\n' : `${(err as Error).message}\n`);
    }
    try {
      await streamOut(req, res, lease.size, createReadStream(lease.path), { onBytes: (n) => (metrics.bytesServed += n) });
    } finally {
      lease.release();
    }
  }

  const server: Server = createServer((req, res) => {
    const p = handle(req, res).catch((e: unknown) => {
      const status = e instanceof FetchError ? e.status : 502;
      if (status !== 404) log(`repro-sources: serve: ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, status, status === 404 ? 'not found\n' : `${(e as Error).message}\n`);
      else res.destroy();
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  const [host, port] = splitListen(o.listen ?? '127.0.0.1:3142');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (e) {
    // an address in use (or refused) is the whole story: nothing of this process is left behind
    await upstream.close();
    await rm(tmpDir, { recursive: true, force: true });
    throw e;
  }
  // said once serve is up, so a failed start prints only why it failed
  const unsigned = [...archives].filter((a) => trust.keyringsFor(a).length === 0);
  if (unsigned.length > 0) log(`repro-sources: serve: no keyring for ${unsigned.join(', ')}: their Releases are kept unchecked if whole and parseable (--keyring FILE adds one)`);
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`,
    metrics,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      // a client that stopped reading must not hold the process forever
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((r) => (timer = setTimeout(r, o.drainMs ?? 10_000)));
      await Promise.race([Promise.allSettled([...inFlight]), deadline]);
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
      await upstream.close();
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}

export function splitListen(listen: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen ${listen}: expected HOST:PORT`);
  return [m[1]!.replace(/^\[|\]$/g, ''), Number(m[2])];
}
