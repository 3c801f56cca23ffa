/**
 * Which exact snapshot a time lands on. snapshot.debian.org answers a directory under a time
 * that is not an exact import with a 301 to the newest import at or before it (shared research
 * notes, 1.3), so one request without following redirects tells; snapshot.ubuntu.com takes any
 * time, so there the time asked is the snapshot.
 */
import { ReproSourcesError } from '../errors.js';
import { archiveInfo } from '../snapshot/archives.js';
import { fromSnapshotId, toSnapshotId } from '../snapshot/id.js';
import { fetchWithRetry, headerOf, type FetchOptions } from '../net/request.js';

export interface ResolveOptions extends FetchOptions {
  /** Base URL of the service, e.g. http://snapshot.debian.org/archive/ (default: the archive's). */
  base?: string | undefined;
  archive: string;
  /** The time asked for, as a snapshot id. */
  id: string;
}

export interface ResolvedSnapshot {
  archive: string;
  base: string;
  asked: string;
  /** The exact snapshot the server holds for that time. */
  id: string;
  /** false where the service takes any time (Ubuntu): nothing was asked of the server. */
  checked: boolean;
  /** Seconds between the time asked and the snapshot reached. */
  stalenessSec: number;
  attempts: number;
}

export function baseFor(archive: string, base: string | undefined): string {
  const b = base ?? archiveInfo(archive)?.defaultBase;
  if (!b) throw new ReproSourcesError('USAGE', archive, 'unknown snapshot archive');
  return b.endsWith('/') ? b : `${b}/`;
}

export async function resolveSnapshot(o: ResolveOptions): Promise<ResolvedSnapshot> {
  const base = baseFor(o.archive, o.base);
  const info = archiveInfo(o.archive);
  if (info?.distro === 'ubuntu') return { archive: o.archive, base, asked: o.id, id: o.id, checked: false, stalenessSec: 0, attempts: 0 };
  return resolveByRedirect(base, o.archive, o.id, o);
}

/** The newest snapshot the server has (Debian: the redirect of "now"; Ubuntu: now itself). */
export async function latestSnapshot(o: Omit<ResolveOptions, 'id'> & { now?: () => number }): Promise<ResolvedSnapshot> {
  const base = baseFor(o.archive, o.base);
  const nowId = toSnapshotId(Math.floor((o.now?.() ?? Date.now() / 1000)));
  if (archiveInfo(o.archive)?.distro === 'ubuntu') return { archive: o.archive, base, asked: nowId, id: nowId, checked: false, stalenessSec: 0, attempts: 0 };
  const r = await resolveByRedirect(base, o.archive, 'now', o);
  return { ...r, asked: nowId, stalenessSec: fromSnapshotId(nowId) - fromSnapshotId(r.id) };
}

async function resolveByRedirect(base: string, archive: string, asked: string, o: FetchOptions): Promise<ResolvedSnapshot> {
  const url = `${base}${archive}/${asked}/`;
  const r = await fetchWithRetry(url, { ...o, followRedirects: false });
  if (r.status === 200) return { archive, base, asked, id: asked, checked: true, stalenessSec: 0, attempts: r.attempts };
  const location = headerOf(r.headers, 'location');
  if (r.status >= 300 && r.status < 400 && location) {
    const m = new RegExp(`/${archive}/(\\d{8}T\\d{6}Z)/`).exec(new URL(location, url).pathname);
    if (!m) throw new ReproSourcesError('HTTP', url, `redirected to ${location}, which names no snapshot of ${archive}`);
    const id = m[1]!;
    const stalenessSec = asked === 'now' ? 0 : fromSnapshotId(asked) - fromSnapshotId(id);
    return { archive, base, asked, id, checked: true, stalenessSec, attempts: r.attempts };
  }
  if (r.status === 404) {
    throw new ReproSourcesError('NOT_FOUND', url, `no snapshot of ${archive} at or before ${asked} on this server${info(archive)}`);
  }
  throw new ReproSourcesError('HTTP', url, `HTTP ${r.status} (after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})`);
}

function info(archive: string): string {
  const first = archiveInfo(archive)?.firstSnapshot;
  return first ? ` (the archive's first is ${first})` : '';
}
