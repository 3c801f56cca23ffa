/**
 * The network edge of diff: the Packages indexes a snapshot target serves, each checked against
 * the SHA256 its Release lists while it streams (versions read from an index that fails the check
 * are thrown away), through the probe's HTTP layer.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { IntegrityError, ReproSourcesError } from '../errors.js';
import { readParagraphBatches } from '../deb822/reader.js';
import { fetchWithRetry, type FetchOptions } from '../probe/http.js';
import { parseRelease } from '../probe/release.js';
import type { SnapshotTarget } from '../sources/target.js';
import { DIFF_FIELDS, versionsOf, type Versions } from './packages-diff.js';

export interface IndexRef {
  target: SnapshotTarget;
  suite: string;
  component: string;
  architecture: string;
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
  const res = await fetchWithRetry(url, { ...o, buffer: false });
  if (res.status !== 200 || !res.stream) throw new ReproSourcesError('HTTP', url, `HTTP ${res.status}`);
  const hash = createHash('sha256');
  let size = 0;
  const raw = res.stream as unknown as Readable;
  const tee = new PassThrough();
  raw.on('data', (c: Buffer) => {
    hash.update(c);
    size += c.length;
  });
  raw.pipe(tee);
  const plain = decompress(tee, choice.ext, url);
  const versions = await versionsOf(readParagraphBatches(plain, { fields: DIFF_FIELDS }), wanted);
  const actual = hash.digest('hex');
  if (actual !== choice.entry!.sha256 || size !== choice.entry!.size) {
    throw new IntegrityError(url, `sha256:${choice.entry!.sha256} (${choice.entry!.size} bytes, from the Release)`, `sha256:${actual} (${size} bytes)`);
  }
  return versions;
}

/** A Packages index stream by its file extension: '', '.gz' (node:zlib) or '.xz' (xz-utils). */
export function decompress(s: Readable, ext: string, url: string): AsyncIterable<Uint8Array> {
  if (ext === '') return s;
  // 256 KiB out per callback, not 16: a 50 MB index is then 200 hand-offs to the reader, not 3,000
  if (ext === '.gz') return s.pipe(createGunzip({ chunkSize: 256 << 10 }));
  // Node has no xz; Debian and Ubuntu hosts have xz-utils
  const xz = spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
  xz.on('error', () => s.destroy(new ReproSourcesError('MISSING_TOOL', 'xz', `needed to read ${url} (apt-get install xz-utils)`)));
  s.pipe(xz.stdin!);
  return xz.stdout!;
}
