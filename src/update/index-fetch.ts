/**
 * The network edge of diff: the Packages indexes a snapshot target serves. An index streams
 * from the socket through SHA256 and the decompressor into the reader at once, and what was
 * read counts only once the body matched the size and SHA256 of its Release: a cut-off or
 * corrupt index is reported as such, with its URL, never as a zlib error (the body is hashed
 * to its end even after the decompressor gave up). A body that breaks midway (reset, stall,
 * shorter than its Content-Length or than the Release says) is fetched again from byte 0, a
 * bounded number of times, under the one retry policy.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError, ReproSourcesError, describe } from '../errors.js';
import { fetchWithRetry, type FetchOptions } from '../net/request.js';
import { withRetries } from '../net/retry.js';
import { parseRelease } from '../probe/release.js';
import type { SnapshotTarget } from '../sources/target.js';
import { decompressor, readIndexText } from './index-read.js';
import type { Versions } from './packages-diff.js';
import { VersionTable } from './version-table.js';

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
  if (!choice) return new VersionTable();
  const url = `${dists}${stem}${choice.ext}`;
  // what it may inflate to: the Release's own size of the plain index, or a bound no real
  // index comes near (Packages compresses about 5:1)
  const plainSize = release.sha256.get(stem)?.size ?? choice.entry!.size * 64;
  return readIndex(url, choice.entry!, choice.ext, plainSize, wanted, o);
}

/** The versions in an index, read as it arrives, and kept once its bytes matched the Release. */
async function readIndex(url: string, want: { sha256: string; size: number }, ext: string, plainSize: number, wanted: ReadonlySet<string> | undefined, o: FetchOptions): Promise<Versions> {
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
        const reader = readIndexText({ url, ext, plainSize, wanted });
        const hash = createHash('sha256');
        let size = 0;
        try {
          for await (const chunk of res.stream as AsyncIterable<Buffer>) {
            size += chunk.length;
            // no more than the Release promised: a runaway body is not read on
            if (size > want.size) throw new IntegrityError(url, `sha256:${want.sha256} (${want.size} bytes, from the Release)`, `more than ${want.size} bytes: a corrupt index`);
            hash.update(chunk);
            // a reader that gave up is fed no more: the body is still hashed to its end
            if (!reader.dead) await reader.write(chunk, res.stream.ownChunks === true);
          }
        } catch (e) {
          reader.abort();
          await reader.result;
          if (e instanceof ReproSourcesError) throw e;
          throw new BrokenBody('NETWORK', url, `the body broke off after ${size} of ${want.size} bytes (${describe(e)})`, { cause: e });
        }
        reader.end();
        const read = await reader.result;
        const actual = hash.digest('hex');
        if (actual !== want.sha256 || size !== want.size) {
          const E = size < want.size ? ShortBody : IntegrityError;
          throw new E(url, `sha256:${want.sha256} (${want.size} bytes, from the Release)`, `sha256:${actual} (${size} bytes): a corrupt index`);
        }
        if ('v' in read) return read.v;
        if (read.e instanceof ReproSourcesError) throw read.e;
        // its digest matched the Release: the archive itself holds a broken file
        throw new ReproSourcesError('INTEGRITY', url, `corrupt index (it matches its Release, but ${describe(read.e)})`, { cause: read.e });
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
  const d = decompressor(ext, url);
  // pipeline carries an error either way; the reader sees it on the output side
  pipeline(s, d.input).catch(() => {});
  return d.output;
}
