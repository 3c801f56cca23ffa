/**
 * What serve knows about a snapshot's files: its Release files (checked by trust.ts before they
 * are kept), the hashes they list, and the hashes of the .debs the Packages indexes list. The
 * Packages of a suite are read once per process, from the store when it has them, else upstream.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { readParagraphBatches } from '../deb822/reader.js';
import { decompress } from '../update/index-fetch.js';
import { FetchError, type Fetcher, type Lease } from './fetch.js';
import type { Metrics } from './metrics.js';
import { releaseHashes, type ReleaseHashes } from './release-hashes.js';
import { fileTag, type CacheStore } from './store-access.js';
import type { Trust } from './trust.js';

type PoolHashes = Map<string, { sha256: string; size: number }>;

export interface IndexesDeps {
  fetcher: Fetcher;
  cache: CacheStore;
  trust: Trust;
  metrics: Metrics;
  /** Digests whose stored bytes were found wrong: not read from the store. */
  distrusted: ReadonlySet<string>;
}

export interface Indexes {
  releaseSet(archive: string, id: string, suite: string, file: string): Promise<Map<string, Buffer>>;
  suiteHashes(archive: string, id: string, suite: string): Promise<ReleaseHashes | undefined>;
  /** The hash of a pool file from the snapshot's Packages indexes (read again if this process has not seen them). */
  poolHash(archive: string, id: string, file: string): Promise<{ sha256: string; size: number } | undefined>;
  /** A checked index: kept, and its packages learnt. */
  keepIndex(archive: string, id: string, file: string, l: Lease): Promise<void>;
  learnPackages(archive: string, id: string, file: string, open: () => Readable): Promise<void>;
}

export function createIndexes(d: IndexesDeps): Indexes {
  const { fetcher, cache, trust, metrics, distrusted } = d;
  /** archive/id/suite -> the Release files' bytes as kept (checked against the archive key before). */
  const releaseFiles = new Map<string, Promise<Map<string, Buffer>>>();
  const memo = <T>(m: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> => {
    let p = m.get(key);
    if (!p) {
      p = make();
      p.catch(() => m.delete(key));
      m.set(key, p);
    }
    return p;
  };

  /**
   * The checked Release files of a suite, InRelease or Release + Release.gpg (whichever file was
   * asked for decides which). Not found upstream: absent from the map. Refused: a 502 error, and
   * nothing kept, so the next request asks upstream again.
   */
  const releaseSet = (archive: string, id: string, suite: string, file: string): Promise<Map<string, Buffer>> =>
    memo(releaseFiles, `${archive}/${id}/${suite}/${file === 'InRelease' ? 'InRelease' : 'Release'}`, async () => {
      const names = file === 'InRelease' ? ['InRelease'] : ['Release', 'Release.gpg'];
      const out = new Map<string, Buffer>();
      const kept = await Promise.all(names.map((n) => cache.getNamed(fileTag('r', archive, id, `dists/${suite}/${n}`))));
      if (kept.every((k) => k !== undefined)) {
        names.forEach((n, i) => out.set(n, kept[i]!.bytes));
        return out;
      }
      for (const n of names) {
        const bytes = await fetchSmall(archive, id, `dists/${suite}/${n}`);
        if (bytes) out.set(n, bytes);
      }
      const main = out.get(names[0]!);
      if (!main) return out;
      const why = await trust.refuse(archive, names[0] as 'InRelease' | 'Release', main, out.get('Release.gpg'));
      if (why) {
        metrics.integrityFailures++;
        throw new FetchError(502, `${archive}/${id}/dists/${suite}/${names[0]}: ${why}`);
      }
      for (const [n, bytes] of out) await cache.putNamed(fileTag('r', archive, id, `dists/${suite}/${n}`), 'application/vnd.repro-sources.snapshot-file.v1', { bytes, title: n, path: `${archive}/${id}/dists/${suite}/${n}` });
      return out;
    });

  /** A small file from upstream into memory; undefined when no upstream has it. */
  const fetchSmall = async (archive: string, id: string, path: string): Promise<Buffer | undefined> => {
    let lease: Lease;
    try {
      lease = await fetcher.fetch(archive, id, encodePath(path), undefined);
    } catch (e) {
      if (e instanceof FetchError && e.status === 404) return undefined;
      throw e;
    }
    try {
      const chunks: Buffer[] = [];
      for await (const c of createReadStream(lease.path)) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    } finally {
      lease.release();
    }
  };

  /** What the suite's checked Release lists, or undefined when there is none to trust. */
  const hashesMemo = new Map<string, Promise<ReleaseHashes | undefined>>();
  const suiteHashes = (archive: string, id: string, suite: string): Promise<ReleaseHashes | undefined> =>
    memo(hashesMemo, `${archive}/${id}/${suite}`, async () => {
      for (const file of ['InRelease', 'Release']) {
        const set = await releaseSet(archive, id, suite, file).catch(() => undefined);
        const bytes = set?.get(file);
        if (bytes) return releaseHashes(bytes.toString('utf8'));
      }
      return undefined;
    });

  /** archive/id -> pool file name -> hash, from the Packages indexes this process has read. */
  const poolHashes = new Map<string, PoolHashes>();
  const learnPackages = async (archive: string, id: string, file: string, open: () => Readable): Promise<void> => {
    const m = /(?:^|\/)Packages(\.gz|\.xz)?$/.exec(file);
    if (!m) return;
    const key = `${archive}/${id}`;
    const map = poolHashes.get(key) ?? new Map();
    poolHashes.set(key, map);
    const src = decompress(open(), m[1] ?? '', file);
    for await (const batch of readParagraphBatches(src, { fields: new Set(['Filename', 'SHA256', 'Size']) })) {
      for (const p of batch) {
        const name = p.get('Filename');
        const sha = p.get('SHA256');
        if (name && sha) map.set(name, { sha256: sha, size: Number(p.get('Size') ?? -1) });
      }
    }
  };

  /** Reads the Packages indexes of every suite of archive/id this process knows a Release of (once per suite). */
  const learned = new Map<string, Promise<void>>();
  const learnFromReleases = async (archive: string, id: string): Promise<void> => {
    const prefix = `${archive}/${id}/`;
    const jobs: Promise<void>[] = [];
    for (const [key, p] of [...hashesMemo]) {
      if (!key.startsWith(prefix)) continue;
      jobs.push(memo(learned, key, () => learnSuite(archive, id, key.slice(prefix.length), p)));
    }
    await Promise.all(jobs);
  };

  const learnSuite = async (archive: string, id: string, suite: string, p: Promise<ReleaseHashes | undefined>): Promise<void> => {
    const info = await p.catch(() => undefined);
    if (!info) return;
    const dirs = new Map<string, string[]>();
    for (const [file, l] of info.byPath) {
      const m = /^(.*binary-[^/]+)\/Packages(\.gz|\.xz)?$/.exec(file);
      if (m && l.sha256) dirs.set(m[1]!, [...(dirs.get(m[1]!) ?? []), file]);
    }
    for (const variants of dirs.values()) {
      // one the store has (apt fetched it through a serve), else .gz from upstream
      const rank = (f: string): number => (f.endsWith('.gz') ? 2 : f.endsWith('.xz') ? 0 : 1);
      variants.sort((x, y) => rank(y) - rank(x));
      let fromStore = false;
      for (const v of variants) {
        const l = info.byPath.get(v)!;
        const body = distrusted.has(`sha256:${l.sha256}`) ? undefined : await cache.open(`sha256:${l.sha256}`);
        if (!body) continue;
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c as Buffer);
        const bytes = Buffer.concat(chunks);
        if (createHash('sha256').update(bytes).digest('hex') !== l.sha256) continue;
        await learnPackages(archive, id, v, () => Readable.from([bytes])).catch(() => {});
        fromStore = true;
        break;
      }
      if (fromStore) continue;
      const file = variants[0]!;
      const l = info.byPath.get(file)!;
      const lease = await fetcher.fetch(archive, id, encodePath(`dists/${suite}/${file}`), { sha256: l.sha256!, size: l.size }, (own) => keepIndex(archive, id, file, own)).catch(() => undefined);
      lease?.release();
    }
  };

  /** A checked index: kept, and its packages learnt. */
  const keepIndex = async (archive: string, id: string, file: string, l: Lease): Promise<void> => {
    await cache.keep(l, file);
    await learnPackages(archive, id, file, () => createReadStream(l.path)).catch(() => {});
  };

  return {
    releaseSet,
    suiteHashes,
    keepIndex,
    learnPackages,
    async poolHash(archive, id, file) {
      const known = poolHashes.get(`${archive}/${id}`)?.get(file);
      if (known) return known;
      // the indexes may have come from the store, or before a restart: read them again
      await learnFromReleases(archive, id);
      return poolHashes.get(`${archive}/${id}`)?.get(file);
    },
  };
}

/** A decoded path back into a URL path (each segment encoded, slashes kept). */
function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
