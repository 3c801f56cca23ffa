/**
 * The network edge of diff: the Packages indexes a snapshot target serves. An index is read
 * whole (compressed, so a few MB) through stream.pipeline, its size and SHA256 checked against
 * the Release before a byte of it is decompressed: a cut-off or corrupt index is reported as
 * such, with its URL, never as a zlib error. A body that breaks midway (reset, stall, shorter
 * than its Content-Length or than the Release says) is fetched again from byte 0, a bounded
 * number of times, under the one retry policy.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { IntegrityError, ReproSourcesError } from '../errors.js';
import { readParagraphBatches } from '../deb822/reader.js';
import { describe, fetchWithRetry, type FetchOptions } from '../net/request.js';
import { withRetries } from '../net/retry.js';
import { parseRelease } from '../probe/release.js';
import type { SnapshotTarget } from '../sources/target.js';
import { DIFF_FIELDS, versionsOf, type Versions } from './packages-diff.js';

export interface IndexRef {
  target: SnapshotTarget;
  suite: string;
  component: string;
  architecture: string;
}

/** Fetches of one index from byte 0 after a body broke midway. */
const BODY_RETRIES = 2;

/** A body that broke off: worth fetching again from byte 0. */
class BrokenBody extends ReproSourcesError {
  override name = 'BrokenBody';
}

/** A body shorter than the Release says, though it ended cleanly (no Content-Length): maybe cut, worth another fetch. */
class ShortBody extends IntegrityError {
  override name = 'ShortBody';
}

/** The versions in one suite/component/arch of a target; an index the Release lacks is empty. */
export async function fetchVersions(ref: IndexRef, id: string, wanted: ReadonlySet<string> | undefined, o: FetchOptions): Promise<Versions> {
  const t = ref.target;
  const dists = `${t.base}${t.archive}/${id}/${t.subdir}dists/${ref.suite}/`;
  let rel = await fetchWithRetry(`${dists}InRelease`, o);
  if (rel.status === 404) rel = await fetchWithRetry(`${dists}Release`, o);
  if (rel.status !== 200) throw new ReproSourcesError('HTTP', rel.url, `HTTP ${rel.status}: no Release for ${ref.suite} in snapshot ${id}`);
  const release = parseRelease(rel.body!.toString('utf8'));
  const stem = `${ref.component}/binary-${ref.architecture}/Packages`;
  const choice = ['.gz', '', '.xz'].map((ext) => ({ ext, entry: release.sha256.get(`${stem}${ext}`) })).find((c) => c.entry !== undefined);
  if (!choice) return new Map();
  const url = `${dists}${stem}${choice.ext}`;
  const bytes = await fetchIndex(url, choice.entry!, o);
  const plain = decompress(Readable.from(bytes), choice.ext, url);
  try {
    return await versionsOf(readParagraphBatches(plain, { fields: DIFF_FIELDS }), wanted);
  } catch (e) {
    if (e instanceof ReproSourcesError) throw e;
    // its digest matched the Release: the archive itself holds a broken file
    throw new ReproSourcesError('INTEGRITY', url, `corrupt index (it matches its Release, but ${describe(e)})`, { cause: e });
  }
}

/** The compressed bytes of an index, checked against its Release entry. */
async function fetchIndex(url: string, want: { sha256: string; size: number }, o: FetchOptions): Promise<Buffer[]> {
  let attempts = 0;
  try {
    return await withRetries(
      async () => {
        attempts++;
        const res = await fetchWithRetry(url, { ...o, buffer: false });
        if (res.status !== 200 || !res.stream) {
          await res.stream?.dump().catch(() => {});
          throw new ReproSourcesError('HTTP', url, `HTTP ${res.status}`);
        }
        const parts: Buffer[] = [];
        const hash = createHash('sha256');
        let size = 0;
        try {
          await pipeline(
            res.stream,
            new Writable({
              write(chunk: Buffer, _enc, cb) {
                size += chunk.length;
                // no more than the Release promised: a runaway body is not buffered
                if (size > want.size) return cb(new IntegrityError(url, `sha256:${want.sha256} (${want.size} bytes, from the Release)`, `more than ${want.size} bytes: a corrupt index`));
                hash.update(chunk);
                parts.push(chunk);
                cb();
              },
            }),
          );
        } catch (e) {
          if (e instanceof ReproSourcesError) throw e;
          throw new BrokenBody('NETWORK', url, `the body broke off after ${size} of ${want.size} bytes (${describe(e)})`, { cause: e });
        }
        const actual = hash.digest('hex');
        if (actual !== want.sha256 || size !== want.size) {
          const E = size < want.size ? ShortBody : IntegrityError;
          throw new E(url, `sha256:${want.sha256} (${want.size} bytes, from the Release)`, `sha256:${actual} (${size} bytes): a corrupt index`);
        }
        return parts;
      },
      { ...o, retries: BODY_RETRIES, retryIf: (e) => e instanceof BrokenBody || e instanceof ShortBody },
    );
  } catch (e) {
    if (e instanceof BrokenBody) throw new ReproSourcesError('NETWORK', url, `${e.message} (${attempts} fetches)`, { cause: e });
    if (e instanceof ReproSourcesError) throw e;
    throw new ReproSourcesError('NETWORK', url, describe(e), { cause: e });
  }
}

/** A Packages index stream by its file extension: '', '.gz' (node:zlib) or '.xz' (xz-utils). */
export function decompress(s: Readable, ext: string, url: string): AsyncIterable<Uint8Array> {
  if (ext === '') return s;
  if (ext === '.gz') {
    // 256 KiB out per callback, not 16: a 50 MB index is then 200 hand-offs to the reader, not 3,000
    const gunzip = createGunzip({ chunkSize: 256 << 10 });
    // pipeline carries an error either way; the reader sees it on the gunzip side
    pipeline(s, gunzip).catch(() => {});
    return gunzip;
  }
  // Node has no xz; Debian and Ubuntu hosts have xz-utils. node:child_process only for this
  // (loading it is 2-3 ms of every diff's start, and archives serve .gz)
  const xz = process.getBuiltinModule('node:child_process').spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
  xz.on('error', () => xz.stdout!.destroy(new ReproSourcesError('MISSING_TOOL', 'xz', `needed to read ${url} (apt-get install xz-utils)`)));
  pipeline(s, xz.stdin!).catch(() => {});
  return xz.stdout!;
}
