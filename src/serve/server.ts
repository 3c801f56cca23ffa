/**
 * serve: an apt-facing HTTP server for snapshot URLs, backed by the OCI cache. Everything under an
 * exact snapshot id is immutable, so each object is fetched from upstream at most once (single
 * flight here, the shared store across processes) and checked before it is kept: indexes against
 * the Release of their snapshot, .debs against the Packages index of their snapshot, by-hash files
 * against their name. A Release itself is kept under a name (a tag derived from its path).
 * Nothing local is needed for correctness; temp files only carry an object from the one upstream
 * fetch to the clients that asked for it at the same time.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { ARCHIVES, archiveInfo } from '../snapshot/archives.js';
import { readParagraphBatches } from '../deb822/reader.js';
import { createAgent, fetchWithRetry, type FetchOptions } from '../net/request.js';
import { parseRelease, type ReleaseInfo } from '../probe/release.js';
import { resolveSnapshot } from '../probe/resolve.js';
import { EMPTY_CONFIG, EMPTY_CONFIG_BYTES, MANIFEST_MEDIA_TYPE, parseManifest, sha256Digest } from '../oci/manifest.js';
import type { BlobStore } from '../oci/store.js';
import { Metrics } from './metrics.js';
import { parseRequestPath, type ParsedRequest } from './paths.js';
import { SingleFlight } from './single-flight.js';
import { decompress } from '../update/index-fetch.js';

export interface ServeOptions {
  /** host:port. @default 127.0.0.1:3142 */
  listen?: string;
  /** Snapshot bases to fetch from, in order (default: each archive's own service). */
  upstreams?: readonly string[];
  /** Where objects are kept; without one serve only deduplicates concurrent fetches. */
  store?: BlobStore | undefined;
  /** Archives served. @default every known snapshot archive */
  archives?: readonly string[];
  retries?: number;
  maxWaitMs?: number;
  dispatcher?: Dispatcher;
  log?: (line: string) => void;
}

export interface ServeHandle {
  url: string;
  metrics: Metrics;
  /** Stops accepting, lets in-flight responses finish, then releases everything. */
  close(): Promise<void>;
}

interface Fetched {
  tmp: string;
  size: number;
  digest: string;
}

export async function startServe(o: ServeOptions = {}): Promise<ServeHandle> {
  const metrics = new Metrics();
  const archives = new Set(o.archives ?? [...ARCHIVES.keys()]);
  const dispatcher = o.dispatcher ?? createAgent();
  const fetchOpts: FetchOptions = { dispatcher, retries: o.retries ?? 4, maxWaitMs: o.maxWaitMs ?? 30_000 };
  const tmpRoot = await mkdtemp(join(tmpdir(), 'repro-sources-serve-'));
  const flights = new SingleFlight<Fetched>();
  const exactIds = new Map<string, Promise<string>>();
  const releases = new Map<string, Promise<ReleaseInfo | undefined>>();
  /** archive/id -> pool file name -> sha256, from the Packages indexes this process has seen */
  const poolHashes = new Map<string, Map<string, { sha256: string; size: number }>>();
  const inFlight = new Set<Promise<unknown>>();
  let tmpCounter = 0;

  const upstreamsFor = (archive: string): string[] => {
    const list = o.upstreams && o.upstreams.length > 0 ? [...o.upstreams] : [archiveInfo(archive)!.defaultBase];
    return list.map((u) => (u.endsWith('/') ? u : `${u}/`));
  };

  const exactId = (archive: string, time: string): Promise<string> => {
    const key = `${archive}/${time}`;
    let p = exactIds.get(key);
    if (!p) {
      const asked = /^\d{8}$/.test(time) ? `${time}T000000Z` : time;
      p = archiveInfo(archive)!.distro === 'ubuntu' ? Promise.resolve(asked) : resolveRemembered(archive, asked);
      p.catch(() => exactIds.delete(key));
      exactIds.set(key, p);
    }
    return p;
  };

  /**
   * The exact id for a time, remembered in the store (a tag per archive and time) so that other
   * serve processes, and this one after upstream is gone, redirect the same way.
   */
  const resolveRemembered = async (archive: string, time: string): Promise<string> => {
    const tag = `t-${sha256Digest(Buffer.from(`${archive}/${time}`)).slice(7, 67)}`;
    const key = 'io.github.repro-sources.snapshot';
    if (o.store) {
      try {
        const m = await o.store.getManifest({ tag });
        const id = m ? parseManifest(m.bytes, tag).annotations[key] : undefined;
        if (id) return id;
      } catch {
        metrics.storeErrors++;
        metrics.storeAvailable = false;
      }
    }
    const id = await firstOk(upstreamsFor(archive), (base) => resolveSnapshot({ ...fetchOpts, base, archive, id: time }).then((r) => r.id));
    if (o.store) {
      try {
        if ((await o.store.statBlob(EMPTY_CONFIG.digest)) === undefined) await o.store.putBlob(EMPTY_CONFIG.digest, 2, () => Readable.from([EMPTY_CONFIG_BYTES]));
        const manifest = { schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, artifactType: 'application/vnd.repro-sources.snapshot-time.v1', config: EMPTY_CONFIG, layers: [], annotations: { [key]: id, 'io.github.repro-sources.time': `${archive}/${time}` } };
        await o.store.putManifest(Buffer.from(JSON.stringify(manifest)), tag);
      } catch {
        metrics.storeErrors++;
      }
    }
    return id;
  };

  /** GET from the first upstream that answers 200 (404 from all: undefined). */
  const fromUpstream = async (archive: string, id: string, path: string): Promise<Awaited<ReturnType<typeof fetchWithRetry>> | undefined> => {
    let lastError: unknown;
    for (const base of upstreamsFor(archive)) {
      try {
        metrics.upstreamFetches++;
        const r = await fetchWithRetry(`${base}${archive}/${id}/${path}`, { ...fetchOpts, buffer: false });
        if (r.status === 200) return r;
        await r.stream?.dump().catch(() => {});
        if (r.status !== 404) lastError = new Error(`HTTP ${r.status}`);
      } catch (e) {
        metrics.upstreamErrors++;
        lastError = e;
      }
    }
    if (lastError) throw lastError;
    return undefined;
  };

  /** One upstream fetch per object: streamed to a temp file while hashed, verified, then stored. */
  const fetchObject = (archive: string, id: string, path: string, expected: { sha256: string; size: number } | undefined, rawPath = encodePath(path)): { promise: Promise<Fetched>; leader: boolean } =>
    flights.do(`${archive}/${id}/${path}`, async () => {
      const r = await fromUpstream(archive, id, rawPath);
      if (!r) throw Object.assign(new Error('not found upstream'), { status: 404 });
      const tmp = join(tmpRoot, `${++tmpCounter}`);
      const hash = createHash('sha256');
      let size = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      });
      await pipeline(r.stream as unknown as Readable, counter, createWriteStream(tmp));
      metrics.bytesFromUpstream += size;
      const digest = `sha256:${hash.digest('hex')}`;
      if (expected && (digest !== `sha256:${expected.sha256}` || size !== expected.size)) {
        metrics.integrityFailures++;
        await rm(tmp, { force: true });
        throw Object.assign(new Error(`upstream sent ${digest} (${size} bytes) for ${path}, expected sha256:${expected.sha256}`), { status: 502 });
      }
      if (expected && o.store) {
        try {
          await o.store.putBlob(digest, size, () => createReadStream(tmp));
          metrics.storeAvailable = true;
        } catch (e) {
          metrics.storeErrors++;
          metrics.storeAvailable = false;
          o.log?.(`repro-sources: serve: storing ${path}: ${(e as Error).message}`);
        }
      }
      // the clients waiting on this flight read the temp file; it goes when they are done
      setTimeout(() => void rm(tmp, { force: true }), 60_000).unref();
      return { tmp, size, digest };
    });

  const storeGet = async (digest: string): Promise<{ size: number; stream: () => Promise<Readable> } | undefined> => {
    if (!o.store) return undefined;
    try {
      const size = await o.store.statBlob(digest);
      metrics.storeAvailable = true;
      if (size === undefined) return undefined;
      return { size, stream: () => o.store!.getBlob(digest) };
    } catch {
      metrics.storeErrors++;
      metrics.storeAvailable = false;
      return undefined;
    }
  };

  const releaseTag = (archive: string, id: string, path: string): string => `r-${sha256Digest(Buffer.from(`${archive}/${id}/${path}`)).slice(7, 67)}`;

  /** Release files are small and immutable: once read, kept in memory for this process. */
  const releaseMemo = new Map<string, Promise<Buffer | undefined>>();
  const releaseBytes = (archive: string, id: string, path: string): Promise<Buffer | undefined> => {
    const key = `${archive}/${id}/${path}`;
    let p = releaseMemo.get(key);
    if (!p) {
      p = loadRelease(archive, id, path);
      p.catch(() => releaseMemo.delete(key));
      releaseMemo.set(key, p);
    }
    return p;
  };

  /** A Release/InRelease by name: from the store's tag, else upstream (and then tagged). */
  const loadRelease = async (archive: string, id: string, path: string): Promise<Buffer | undefined> => {
    const tag = releaseTag(archive, id, path);
    if (o.store) {
      try {
        const m = await o.store.getManifest({ tag });
        if (m) {
          const layer = parseManifest(m.bytes, tag).layers[0]!;
          const chunks: Buffer[] = [];
          for await (const c of await o.store.getBlob(layer.digest)) chunks.push(c as Buffer);
          const bytes = Buffer.concat(chunks);
          if (sha256Digest(bytes) === layer.digest) {
            metrics.storeAvailable = true;
            return bytes;
          }
        }
      } catch {
        metrics.storeErrors++;
        metrics.storeAvailable = false;
      }
    }
    const f = await fetchObject(archive, id, path, undefined).promise.catch((e: { status?: number }) => {
      if (e.status === 404) return undefined;
      throw e;
    });
    if (!f) return undefined;
    const bytes = await readFile(f.tmp);
    if (o.store) {
      try {
        await o.store.putBlob(f.digest, f.size, () => Readable.from([bytes]));
        if ((await o.store.statBlob(EMPTY_CONFIG.digest)) === undefined) await o.store.putBlob(EMPTY_CONFIG.digest, 2, () => Readable.from([EMPTY_CONFIG_BYTES]));
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_MEDIA_TYPE,
          artifactType: 'application/vnd.repro-sources.snapshot-file.v1',
          config: EMPTY_CONFIG,
          layers: [{ mediaType: 'application/octet-stream', digest: f.digest, size: f.size, annotations: { 'org.opencontainers.image.title': path.split('/').at(-1)!, 'io.github.repro-sources.path': `${archive}/${id}/${path}` } }],
        }));
        await o.store.putManifest(manifest, tag);
      } catch (e) {
        metrics.storeErrors++;
        metrics.storeAvailable = false;
        o.log?.(`repro-sources: serve: storing ${path}: ${(e as Error).message}`);
      }
    }
    return bytes;
  };

  const releaseInfo = (archive: string, id: string, suite: string): Promise<ReleaseInfo | undefined> => {
    const key = `${archive}/${id}/${suite}`;
    let p = releases.get(key);
    if (!p) {
      p = (async () => {
        const bytes = (await releaseBytes(archive, id, `dists/${suite}/InRelease`)) ?? (await releaseBytes(archive, id, `dists/${suite}/Release`));
        return bytes ? parseRelease(bytes.toString('utf8')) : undefined;
      })();
      p.catch(() => releases.delete(key));
      releases.set(key, p);
    }
    return p;
  };

  /** Learns the pool hashes of a Packages index this process served (verified against its Release). */
  const learnPackages = async (archive: string, id: string, file: string, tmp: string): Promise<void> => {
    const m = /Packages(\.gz|\.xz)?$/.exec(file);
    if (!m) return;
    const key = `${archive}/${id}`;
    const map = poolHashes.get(key) ?? new Map<string, { sha256: string; size: number }>();
    poolHashes.set(key, map);
    const src = decompress(createReadStream(tmp), m[1] ?? '', file);
    for await (const batch of readParagraphBatches(src, { fields: new Set(['Filename', 'SHA256', 'Size']) })) {
      for (const p of batch) {
        const name = p.get('Filename');
        const sha = p.get('SHA256');
        if (name && sha) map.set(name, { sha256: sha, size: Number(p.get('Size') ?? -1) });
      }
    }
  };

  /** Reads the Packages indexes of every suite of archive/id this process knows a Release of. */
  const learned = new Map<string, Promise<void>>();
  const learnFromReleases = async (archive: string, id: string): Promise<void> => {
    const prefix = `${archive}/${id}/`;
    const jobs: Promise<void>[] = [];
    for (const [key, p] of [...releases]) {
      if (!key.startsWith(prefix)) continue;
      // each suite's indexes are read once per process, however many .debs ask
      let job = learned.get(key);
      if (!job) {
        job = learnSuite(archive, id, key.slice(prefix.length), p);
        learned.set(key, job);
      }
      jobs.push(job);
    }
    await Promise.all(jobs);
  };

  const learnSuite = async (archive: string, id: string, suite: string, p: Promise<ReleaseInfo | undefined>): Promise<void> => {
    const info = await p.catch(() => undefined);
    if (!info) return;
    // every Packages variant the Release lists, per directory
    const dirs = new Map<string, string[]>();
    for (const file of info.sha256.keys()) {
      const m = /^(.*binary-[^/]+)\/Packages(\.gz|\.xz)?$/.exec(file);
      if (m) dirs.set(m[1]!, [...(dirs.get(m[1]!) ?? []), file]);
    }
    for (const variants of dirs.values()) {
      // one the store already has (apt fetched one of them through a serve), else gz from upstream
      const rank = (f: string): number => (f.endsWith('.gz') ? 2 : f.endsWith('.xz') ? 0 : 1);
      variants.sort((x, y) => rank(y) - rank(x));
      let tmp: string | undefined;
      let file = variants[0]!;
      for (const v of variants) {
        const hit = await storeGet(`sha256:${info.sha256.get(v)!.sha256}`);
        if (!hit) continue;
        tmp = join(tmpRoot, `${++tmpCounter}`);
        await pipeline(await hit.stream(), createWriteStream(tmp));
        file = v;
        break;
      }
      tmp ??= (await fetchObject(archive, id, `dists/${suite}/${file}`, info.sha256.get(file)!).promise.catch(() => undefined))?.tmp;
      if (tmp) await learnPackages(archive, id, file, tmp).catch(() => {});
    }
  };

  async function expectedFor(req: ParsedRequest, id: string): Promise<{ sha256: string; size: number } | undefined> {
    const w = req.what;
    if (w.kind === 'by-hash') return { sha256: w.sha256, size: -1 };
    if (w.kind === 'index') return (await releaseInfo(req.archive, id, w.suite))?.sha256.get(w.file);
    if (w.kind === 'pool') return poolHashes.get(`${req.archive}/${id}`)?.get(w.file);
    return undefined;
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
    const id = await exactId(parsed.archive, parsed.time);
    if (id !== parsed.time) {
      metrics.redirects++;
      res.writeHead(301, { location: `/${parsed.archive}/${id}/${parsed.path}` });
      return void res.end();
    }
    if (parsed.what.kind === 'release') {
      const bytes = await releaseBytes(parsed.archive, id, parsed.path);
      if (!bytes) return send(res, 404, 'not found\n');
      return sendBytes(req, res, bytes);
    }
    let expected = await expectedFor(parsed, id);
    if (!expected && parsed.what.kind === 'pool') {
      // the indexes may have come from the store, or before a restart: read them again
      await learnFromReleases(parsed.archive, id);
      expected = await expectedFor(parsed, id);
    }
    if (expected && expected.size >= 0) {
      const hit = await storeGet(`sha256:${expected.sha256}`);
      if (hit) {
        await streamOut(req, res, hit.size, await hit.stream());
        metrics.recordHit(performance.now() - started);
        return;
      }
    }
    metrics.misses++;
    // not listed in any index we know: passed through, never stored
    if (!expected) metrics.unverified++;
    const flight = fetchObject(parsed.archive, id, parsed.path, expected && expected.size >= 0 ? expected : undefined, parsed.rawPath);
    let fetched: Fetched;
    try {
      fetched = await flight.promise;
    } catch (e) {
      const status = (e as { status?: number }).status ?? 502;
      return send(res, status, status === 404 ? 'not found\n' : `upstream failed: ${(e as Error).message}\n`);
    }
    if (expected && expected.size < 0 && fetched.digest !== `sha256:${expected.sha256}`) {
      metrics.integrityFailures++;
      return send(res, 502, 'upstream bytes do not match the by-hash name\n');
    }
    if (parsed.what.kind === 'index' && expected && flight.leader) await learnPackages(parsed.archive, id, parsed.what.file, fetched.tmp).catch(() => {});
    await streamOut(req, res, fetched.size, createReadStream(fetched.tmp));
  }

  function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Buffer): Promise<void> {
    return streamOut(req, res, bytes.length, Readable.from([bytes]));
  }

  /** 200, or 206 for "Range: bytes=N-" (apt resumes partial downloads that way); HEAD gets the headers. */
  async function streamOut(req: IncomingMessage, res: ServerResponse, size: number, body: Readable): Promise<void> {
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const from = range ? Number(range[1]) : 0;
    if (range && from >= size) {
      body.destroy();
      res.writeHead(416, { 'content-range': `bytes */${size}` });
      return void res.end();
    }
    res.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': String(size - from),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${from}-${size - 1}/${size}` } : {}),
    });
    if (req.method === 'HEAD') {
      body.destroy();
      return void res.end();
    }
    let skip = from;
    const skipper = new Transform({
      transform(chunk: Buffer, _e, cb) {
        if (skip >= chunk.length) {
          skip -= chunk.length;
          return cb();
        }
        const out = skip > 0 ? chunk.subarray(skip) : chunk;
        skip = 0;
        metrics.bytesServed += out.length;
        cb(null, out);
      },
    });
    // a client that goes away mid-download is not an error of ours
    await pipeline(body, skipper, res).catch(() => {});
  }

  const server: Server = createServer((req, res) => {
    const p = handle(req, res).catch((e: unknown) => {
      o.log?.(`repro-sources: serve: ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 502, `${(e as Error).message}\n`);
      else res.destroy();
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  const [host, port] = splitListen(o.listen ?? '127.0.0.1:3142');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`,
    metrics,
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.allSettled([...inFlight]);
      // connections that finished their last response are idle now: don't wait for keep-alive
      server.closeIdleConnections();
      await closed;
      if (!o.dispatcher) await dispatcher.close();
      await rm(tmpRoot, { recursive: true, force: true });
    },
  };
}

/** A decoded path back into a URL path (each segment encoded, slashes kept). */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

async function firstOk<T>(bases: readonly string[], fn: (base: string) => Promise<T>): Promise<T> {
  let last: unknown;
  for (const b of bases) {
    try {
      return await fn(b);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

export function splitListen(listen: string): [string, number] {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  if (!m) throw new Error(`--listen ${listen}: expected HOST:PORT`);
  return [m[1]!.replace(/^\[|\]$/g, ''), Number(m[2])];
}
