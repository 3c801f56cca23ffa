/**
 * diff: what moving the pin from one snapshot to another changes for the packages a build uses.
 * Every index of every snapshot target is read at both ids (bounded concurrency, verified
 * against its Release), versions are merged per archive, and changes from a security archive
 * are called out.
 */
import { readFile } from 'node:fs/promises';
import pLimit from 'p-limit';
import { parseParagraphs } from '../deb822/reader.js';
import { inRoot } from '../fs/root.js';
import { createAgent, type FetchOptions } from '../net/request.js';
import { latestSnapshot, resolveSnapshot } from '../probe/resolve.js';
import { planRewrites, type SourcesFile } from '../rewrite/files.js';
import { isSnapshotId, parseEpochString, toSnapshotId } from '../snapshot/id.js';
import type { SnapshotTarget } from '../sources/target.js';
import { UsageError } from '../errors.js';
import { fetchVersions } from './index-fetch.js';
import { VersionTable } from './version-table.js';
import { diffVersions, mergeVersions, type PackagesDiff, type VersionChange, type Versions } from './packages-diff.js';

export interface DiffOptions {
  files: readonly SourcesFile[];
  from: string;
  to: string;
  packages?: readonly string[] | undefined;
  /** Read the package list from ROOT's dpkg status when packages is not given. */
  root?: string | undefined;
  snapshotBase?: string | undefined;
  architecture?: string | undefined;
  concurrency?: number;
  fetch?: FetchOptions;
  now?: () => number;
}

export interface ArchiveDiff extends PackagesDiff {
  archive: string;
  from: string;
  to: string;
}

export interface DiffReport {
  from: string;
  to: string;
  archives: ArchiveDiff[];
  /** Version changes that came from a security archive or pocket. */
  security: (VersionChange & { archive: string })[];
  packagesConsidered: number | 'all';
}

/** An id, an epoch, or "latest" (asked of the server) -> a snapshot id (exact when the server can say). */
export function timeToId(value: string, what: string): string {
  if (isSnapshotId(value)) return value;
  if (/^\d+$/.test(value)) return toSnapshotId(parseEpochString(value, what));
  throw new UsageError(`${what} ${value}`, 'expected a snapshot id (YYYYMMDDTHHMMSSZ), an epoch, or latest');
}

export async function installedPackages(root: string): Promise<string[]> {
  const text = await readFile(inRoot(root, '/var/lib/dpkg/status'), 'utf8').catch(() => undefined);
  if (text === undefined) return [];
  return parseParagraphs(text, { fields: new Set(['Package', 'Status']) })
    .filter((p) => (p.get('Status') ?? '').endsWith(' installed'))
    .map((p) => p.get('Package')!);
}

export async function diffSnapshots(o: DiffOptions): Promise<DiffReport> {
  const dispatcher = o.fetch?.dispatcher ?? createAgent();
  const fetchOpts: FetchOptions = { ...(o.fetch ?? {}), dispatcher };
  try {
    let wantedList = o.packages;
    if (!wantedList && o.root) wantedList = await installedPackages(o.root);
    const wanted = wantedList && wantedList.length > 0 ? new Set(wantedList) : undefined;
    const targetsAt = (id: string): SnapshotTarget[] => planRewrites(o.files, { id, ...(o.snapshotBase ? { snapshotBase: o.snapshotBase } : {}) }).flatMap((r) => r.result.targets);
    const fromTargets = targetsAt(timeToId(o.from, '--from'));
    if (fromTargets.length === 0) throw new UsageError('sources', 'no Debian or Ubuntu entries to compare');
    // per archive, the exact ids at both ends (debian and debian-security import on their own
    // schedules), all asked at once: against a distant server each is a round trip
    const toId = o.to === 'latest' ? undefined : timeToId(o.to, '--to');
    const firstOfEach = [...new Map(fromTargets.map((t) => [t.archive, t])).values()];
    const ends = await Promise.all(
      firstOfEach.map(async (t) => {
        const [from, to] = await Promise.all([
          resolveSnapshot({ ...fetchOpts, base: t.base, archive: t.archive, id: t.id }),
          toId === undefined ? latestSnapshot({ ...fetchOpts, base: t.base, archive: t.archive, ...(o.now ? { now: o.now } : {}) }) : resolveSnapshot({ ...fetchOpts, base: t.base, archive: t.archive, id: toId }),
        ]);
        return [t.archive, { from: from.id, to: to.id }] as const;
      }),
    );
    const ids = new Map<string, { from: string; to: string }>(ends);
    const limit = pLimit(o.concurrency ?? 4);
    const arch = o.architecture ?? 'amd64';
    // per archive, the versions of every index at each end; suites of one archive (bookworm,
    // bookworm-updates) merge to the newest version apt would pick
    const read = new Map<string, { before: Versions[]; after: Versions[] }>();
    const jobs: Promise<void>[] = [];
    for (const t of fromTargets) {
      const { from, to } = ids.get(t.archive)!;
      const slot = read.get(t.archive) ?? { before: [], after: [] };
      read.set(t.archive, slot);
      for (const suite of t.suites) {
        for (const component of t.components) {
          for (const [id, into] of [[from, slot.before], [to, slot.after]] as const) {
            jobs.push(limit(async () => {
              into.push(await fetchVersions({ target: t, suite, component, architecture: t.architectures?.[0] ?? arch }, id, wanted, fetchOpts));
            }));
          }
        }
      }
    }
    await Promise.all(jobs);
    const merge = (all: Versions[]): Versions => (all.length === 1 ? all[0]! : all.reduce((into, v) => mergeVersions(into, v), new VersionTable()));
    const merged = [...read].map(([archive, r]) => [archive, { before: merge(r.before), after: merge(r.after) }] as const);
    const archives: ArchiveDiff[] = [...merged].map(([archive, m]) => ({ archive, ...ids.get(archive)!, ...diffVersions(m.before, m.after) }));
    const security = archives.filter((a) => a.archive.endsWith('-security')).flatMap((a) => a.changed.map((c) => ({ ...c, archive: a.archive })));
    const first = archives[0]!;
    return { from: first.from, to: first.to, archives, security, packagesConsidered: wanted ? wanted.size : 'all' };
  } finally {
    if (!o.fetch?.dispatcher) await dispatcher.close();
  }
}
