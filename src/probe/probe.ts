/**
 * probe: before apt-get update finds out late and unclearly, ask each snapshot repository the
 * sources hold for the Release of every suite, and say what came back: the exact snapshot
 * reached, how stale it is, whether the Release is the suite asked for and carries the
 * components and architectures asked for. With several bases, each archive is served by the
 * first base that answers well for all of its entries.
 */
import pLimit from 'p-limit';
import { ReproSourcesError } from '../errors.js';
import { fromSnapshotId } from '../snapshot/id.js';
import type { SnapshotTarget } from '../sources/target.js';
import { fetchWithRetry, type FetchOptions, type Transport } from '../net/request.js';
import { checkRelease, parseRelease } from './release.js';
import { resolveSnapshot, type ResolvedSnapshot } from './resolve.js';

export interface ProbeOptions {
  /** Other bases to fall back to, in order (the targets' own base is tried first unless bases are given). */
  bases?: readonly string[] | undefined;
  /** Requests in flight at once. The public snapshot servers ask for gentle use. @default 4 */
  concurrency?: number;
  /** Fail an entry whose snapshot is older than the time asked by more than this. @default 172800 (2 days) */
  maxStalenessSec?: number;
  /** Retries per request. @default 4 */
  retries?: number;
  /** Longest single wait (Retry-After included). @default 60000 */
  maxWaitMs?: number;
  /** Bound on one request including its retries. @default 120000 */
  requestTimeoutMs?: number;
  dispatcher?: Transport;
  /** Cancels every request and wait; probe then rejects with an ABORTED error. */
  signal?: AbortSignal;
  sleep?: FetchOptions['sleep'];
  random?: () => number;
  /** Called before each retry: what failed and how long the wait is. */
  onRetry?: FetchOptions['onAttempt'];
  /** Called as each entry's verdict is final (after any fallback to other bases). */
  onProgress?: (p: { done: number; total: number; entry: ProbeEntry }) => void;
}

export interface ProbeEntry {
  archive: string;
  base: string;
  suite: string;
  /** The Release URL asked. */
  url: string;
  ok: boolean;
  status: number | undefined;
  idAsked: string;
  idReached: string | undefined;
  stalenessSec: number | undefined;
  latencyMs: number;
  attempts: number;
  release: { suite?: string; codename?: string; date?: string; validUntil?: string } | undefined;
  suiteMatches: boolean | undefined;
  missingComponents: string[];
  missingArchitectures: string[];
  /** Why the entry is not ok (empty when it is). */
  problems: string[];
  origin?: { file: string; line: number };
}

export interface ProbeReport {
  ok: boolean;
  entries: ProbeEntry[];
  /** archive -> the base that served it well (absent when none did). */
  chosenBases: Record<string, string>;
  elapsedMs: number;
}

/**
 * Probe every suite of every target: resolve the snapshot the time lands on (once per base,
 * archive and id), fetch dists/SUITE/InRelease (Release when there is none) and judge it.
 * Never rejects for an unavailable entry (that is in the report); rejects when cancelled.
 */
export async function probe(targets: readonly SnapshotTarget[], options: ProbeOptions = {}): Promise<ProbeReport> {
  cancelled(options.signal);
  const started = performance.now();
  const limit = pLimit(options.concurrency ?? 4);
  const maxStale = options.maxStalenessSec ?? 172_800;
  const fetchOpts: FetchOptions = {
    retries: options.retries ?? 4,
    maxWaitMs: options.maxWaitMs ?? 60_000,
    totalTimeoutMs: options.requestTimeoutMs ?? 120_000,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.onRetry ? { onAttempt: options.onRetry } : {}),
  };
  const resolved = new Map<string, Promise<ResolvedSnapshot>>();
  const resolveOnce = (base: string, archive: string, id: string): Promise<ResolvedSnapshot> => {
    const key = `${base} ${archive} ${id}`;
    let p = resolved.get(key);
    if (!p) {
      p = limit(() => resolveSnapshot({ ...fetchOpts, base, archive, id }));
      resolved.set(key, p);
    }
    return p;
  };

  const byArchive = new Map<string, SnapshotTarget[]>();
  for (const t of targets) byArchive.set(t.archive, [...(byArchive.get(t.archive) ?? []), t]);
  const total = targets.reduce((n, t) => n + t.suites.length, 0);
  let done = 0;
  const entries: ProbeEntry[] = [];
  const chosenBases: Record<string, string> = {};

  await Promise.all(
    [...byArchive].map(async ([archive, ts]) => {
      const bases = options.bases && options.bases.length > 0 ? options.bases : [ts[0]!.base];
      let first: ProbeEntry[] | undefined;
      for (const rawBase of bases) {
        cancelled(options.signal);
        const base = rawBase.endsWith('/') ? rawBase : `${rawBase}/`;
        const results = await Promise.all(
          ts.flatMap((t) => t.suites.map((suite) => checkSuite({ ...t, base }, suite, resolveOnce, limit, fetchOpts, maxStale))),
        );
        first ??= results;
        if (results.every((r) => r.ok)) {
          chosenBases[archive] = base;
          first = results;
          break;
        }
      }
      for (const e of first!) {
        entries.push(e);
        options.onProgress?.({ done: ++done, total, entry: e });
      }
    }),
  );
  cancelled(options.signal);
  entries.sort((a, b) => (a.origin?.file ?? '').localeCompare(b.origin?.file ?? '') || (a.origin?.line ?? 0) - (b.origin?.line ?? 0) || a.archive.localeCompare(b.archive));
  return { ok: entries.every((e) => e.ok), entries, chosenBases, elapsedMs: Math.round(performance.now() - started) };
}

async function checkSuite(
  t: SnapshotTarget,
  suite: string,
  resolveOnce: (base: string, archive: string, id: string) => Promise<ResolvedSnapshot>,
  limit: ReturnType<typeof pLimit>,
  fetchOpts: FetchOptions,
  maxStale: number,
): Promise<ProbeEntry> {
  const entry: ProbeEntry = {
    archive: t.archive,
    base: t.base,
    suite,
    url: `${t.base}${t.archive}/${t.id}/${t.subdir}dists/${suite}/InRelease`,
    ok: false,
    status: undefined,
    idAsked: t.id,
    idReached: undefined,
    stalenessSec: undefined,
    latencyMs: 0,
    attempts: 0,
    release: undefined,
    suiteMatches: undefined,
    missingComponents: [],
    missingArchitectures: [],
    problems: [],
    ...(t.origin ? { origin: t.origin } : {}),
  };
  let reached: ResolvedSnapshot;
  try {
    reached = await resolveOnce(t.base, t.archive, t.id);
  } catch (e) {
    cancelled(fetchOpts.signal);
    entry.problems.push(`snapshot: ${(e as Error).message}`);
    return entry;
  }
  entry.idReached = reached.id;
  entry.stalenessSec = fromSnapshotId(t.id) - fromSnapshotId(reached.id);
  entry.attempts += reached.attempts;
  const dir = `${t.base}${t.archive}/${reached.id}/${t.subdir}dists/${suite}/`;
  try {
    let r = await limit(() => fetchWithRetry(`${dir}InRelease`, fetchOpts));
    entry.attempts += r.attempts;
    entry.latencyMs += r.latencyMs;
    entry.url = `${dir}InRelease`;
    if (r.status === 404) {
      r = await limit(() => fetchWithRetry(`${dir}Release`, fetchOpts));
      entry.attempts += r.attempts;
      entry.latencyMs += r.latencyMs;
      entry.url = `${dir}Release`;
    }
    entry.status = r.status;
    if (r.status !== 200) {
      entry.problems.push(r.status === 404 ? `dists/${suite} is not in snapshot ${reached.id}` : `HTTP ${r.status}`);
      return entry;
    }
    const rel = parseRelease(r.body!.toString('utf8'));
    entry.release = {
      ...(rel.suite !== undefined ? { suite: rel.suite } : {}),
      ...(rel.codename !== undefined ? { codename: rel.codename } : {}),
      ...(rel.date !== undefined ? { date: rel.date } : {}),
      ...(rel.validUntil !== undefined ? { validUntil: rel.validUntil } : {}),
    };
    const check = checkRelease(rel, suite, t.components, t.architectures ?? []);
    entry.suiteMatches = check.suiteMatches;
    entry.missingComponents = check.missingComponents;
    entry.missingArchitectures = check.missingArchitectures;
    if (!check.suiteMatches) entry.problems.push(`Release is ${rel.suite ?? '?'}/${rel.codename ?? '?'}, not ${suite}`);
    if (check.missingComponents.length) entry.problems.push(`components missing: ${check.missingComponents.join(' ')}`);
    if (check.missingArchitectures.length) entry.problems.push(`architectures missing: ${check.missingArchitectures.join(' ')}`);
  } catch (e) {
    cancelled(fetchOpts.signal);
    entry.problems.push((e as Error).message);
    return entry;
  }
  if (entry.stalenessSec > maxStale) {
    entry.problems.push(`stale: snapshot ${reached.id} is ${formatDuration(entry.stalenessSec)} older than ${t.id} (limit ${formatDuration(maxStale)}); has the mirror stopped importing?`);
  }
  entry.ok = entry.problems.length === 0;
  return entry;
}

/** A cancelled probe is not a report of unavailable mirrors: stop with an error instead. */
function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ReproSourcesError('ABORTED', 'probe', 'cancelled', { cause: signal.reason });
}

/** Seconds as the table shows them: 45s, 12m, 37h, 3d. */
export function formatDuration(sec: number): string {
  if (sec < 120) return `${sec}s`;
  if (sec < 7200) return `${Math.round(sec / 60)}m`;
  if (sec < 172_800) return `${Math.round(sec / 3600)}h`;
  return `${Math.round(sec / 86400)}d`;
}
