/**
 * Fetching from upstream and checking before anything is kept: one fetch per object however
 * many clients ask (single flight), streamed into this process's temp dir while hashed, and
 * held there only while someone reads it: every caller gets a lease, and the file goes when
 * the last lease is released or the fetch fails.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Metrics } from './metrics.js';
import type { Upstream } from './upstream.js';

/** What the bytes must be, when something says so (size -1: any size). */
export interface Expected {
  sha256?: string;
  sha512?: string;
  size: number;
}

export class FetchError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A fetched object in the temp dir; `release()` once done reading it. */
export interface Lease {
  readonly path: string;
  readonly size: number;
  /** sha256:<hex> */
  readonly digest: string;
  release(): void;
}

class TempObject {
  refs = 0;
  readonly path: string;
  readonly size: number;
  readonly digest: string;
  constructor(path: string, size: number, digest: string) {
    this.path = path;
    this.size = size;
    this.digest = digest;
  }
  lease(): Lease {
    this.refs++;
    let released = false;
    return {
      path: this.path,
      size: this.size,
      digest: this.digest,
      release: () => {
        if (released) return;
        released = true;
        if (--this.refs === 0) void rm(this.path, { force: true });
      },
    };
  }
}

export interface FetcherOptions {
  upstream: Upstream;
  /** Bases for an archive, each ending in '/'. */
  basesFor: (archive: string) => string[];
  tmpDir: string;
  metrics: Metrics;
}

/** One fetch under way, and how many callers wait for it. */
interface Flight {
  /** archive/id/rawPath it fetches */
  path: string;
  waiters: number;
  promise: Promise<TempObject>;
}

export class Fetcher {
  private readonly o: FetcherOptions;
  private readonly running = new Map<string, Flight>();
  private counter = 0;

  constructor(o: FetcherOptions) {
    this.o = o;
  }

  /** Temp files alive now (leases not yet released, fetches under way): for tests and /metrics. */
  get inFlight(): number {
    return this.running.size;
  }

  /**
   * archive/id/rawPath from the first upstream that has it, checked against `expected`; `keep`
   * runs once, before any caller reads, with the checked file (to store it, learn from it).
   * Flights are shared by content when it is known: two paths of the same bytes (an index that
   * is identical in debian and debian-security) ask upstream once, and the path that joined
   * still runs its own `keep` before its caller reads.
   */
  fetch(archive: string, id: string, rawPath: string, expected: Expected | undefined, keep?: (l: Lease) => Promise<void>): Promise<Lease> {
    const path = `${archive}/${id}/${rawPath}`;
    const byPath = (): Promise<Lease> => this.join(this.running.get(path) ?? this.start(path, path, archive, id, rawPath, expected, keep));
    if (expected?.sha256 === undefined) return byPath();
    const key = `sha256:${expected.sha256}`;
    const other = this.running.get(key);
    if (other === undefined || other.path === path) return this.join(other ?? this.start(key, path, archive, id, rawPath, expected, keep));
    return this.join(other).then(
      async (l) => {
        try {
          await keep?.(l);
        } catch (e) {
          l.release();
          throw e;
        }
        return l;
      },
      // the other path failed upstream (absent from its archive, say): this one asks for itself
      byPath,
    );
  }

  private start(key: string, path: string, archive: string, id: string, rawPath: string, expected: Expected | undefined, keep?: (l: Lease) => Promise<void>): Flight {
    const e: Flight = { path, waiters: 0, promise: undefined as unknown as Promise<TempObject> };
    e.promise = this.fetchOnce(archive, id, rawPath, expected, keep).then(
      (obj) => {
        this.running.delete(key);
        obj.refs += e.waiters;
        return obj;
      },
      (err: unknown) => {
        this.running.delete(key);
        throw err;
      },
    );
    this.running.set(key, e);
    return e;
  }

  private join(entry: Flight): Promise<Lease> {
    entry.waiters++;
    // each waiter's reference was counted when the fetch ended; hand it over without taking another
    return entry.promise.then((obj) => {
      const l = obj.lease();
      obj.refs--;
      return l;
    });
  }

  private async fetchOnce(archive: string, id: string, rawPath: string, expected: Expected | undefined, keep?: (l: Lease) => Promise<void>): Promise<TempObject> {
    const tmp = join(this.o.tmpDir, `${++this.counter}`);
    const m = this.o.metrics;
    let lastError: Error | undefined;
    for (const base of this.o.basesFor(archive)) {
      let r;
      try {
        m.upstreamFetches++;
        r = await this.o.upstream.get(`${base}${archive}/${id}/${rawPath}`);
      } catch (e) {
        m.upstreamErrors++;
        lastError = new FetchError(502, `upstream: ${(e as Error).message}`);
        continue;
      }
      if (r.status !== 200) {
        await r.drop();
        if (r.status !== 404) lastError = new FetchError(502, `upstream answered HTTP ${r.status}`);
        continue;
      }
      try {
        const got = await toFile(r.body, tmp, expected?.sha512 !== undefined);
        m.bytesFromUpstream += got.size;
        if (r.length !== undefined && got.size !== r.length) throw new FetchError(502, `upstream sent ${got.size} of ${r.length} bytes`);
        const wrong =
          expected &&
          ((expected.size >= 0 && got.size !== expected.size) ||
            (expected.sha256 !== undefined && got.sha256 !== expected.sha256) ||
            (expected.sha512 !== undefined && got.sha512 !== expected.sha512));
        if (wrong) {
          m.integrityFailures++;
          throw new FetchError(502, `upstream sent sha256:${got.sha256} (${got.size} bytes) for ${rawPath}, which is not what ${expected.sha256 ? `sha256:${expected.sha256}` : 'its name says'}`);
        }
        const obj = new TempObject(tmp, got.size, `sha256:${got.sha256}`);
        if (keep) {
          const own = obj.lease();
          try {
            await keep(own);
          } finally {
            // refs stays above zero only through the waiters counted next
            obj.refs--;
          }
        }
        return obj;
      } catch (e) {
        await rm(tmp, { force: true });
        if (e instanceof FetchError) throw e;
        m.upstreamErrors++;
        lastError = new FetchError(502, `upstream: ${(e as Error).message}`);
      }
    }
    throw lastError ?? new FetchError(404, 'not found upstream');
  }
}

async function toFile(body: Readable, path: string, sha512: boolean): Promise<{ size: number; sha256: string; sha512?: string }> {
  const h256 = createHash('sha256');
  const h512 = sha512 ? createHash('sha512') : undefined;
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h256.update(chunk);
      h512?.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(body, counter, createWriteStream(path));
  return { size, sha256: h256.digest('hex'), ...(h512 ? { sha512: h512.digest('hex') } : {}) };
}
