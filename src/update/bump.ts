/**
 * bump: move the pins of a build to a newer snapshot on purpose. The target is resolved to a
 * snapshot that exists (the newest one for "latest"); only the pins change; the summary is
 * Markdown that can serve as a pull-request body, with what the new snapshot changes.
 */
import { readFile } from 'node:fs/promises';
import { ReproSourcesError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { createAgent } from '../net/agent.js';
import { probe } from '../probe/probe.js';
import { latestSnapshot, resolveSnapshot } from '../probe/resolve.js';
import { rewriteSources } from '../rewrite/rewrite.js';
import type { SnapshotTarget } from '../sources/target.js';
import { bytesToText, textToBytes } from '../sources/text.js';
import { fromSnapshotId, toSnapshotId } from '../snapshot/id.js';
import { bumpDockerfile, isDockerfileName } from './pins.js';
import { diffSnapshots, timeToId, type DiffReport } from './diff.js';

export interface BumpOptions {
  files: readonly string[];
  to: string;
  snapshotBase?: string | undefined;
  dryRun?: boolean;
  now?: () => number;
  /** Refuse a newest snapshot older than this (a mirror that stopped importing). @default 172800 (2 days) */
  maxStalenessSec?: number;
}

export interface FileBump {
  path: string;
  kind: 'dockerfile' | 'sources';
  pins: number;
  from: string[];
  to: string;
  changed: boolean;
}

export interface BumpReport {
  to: string;
  epoch: number;
  changed: boolean;
  files: FileBump[];
  diff?: DiffReport | undefined;
  diffError?: string | undefined;
  markdown: string;
}

export async function bump(o: BumpOptions): Promise<BumpReport> {
  const contents = await Promise.all(o.files.map(async (p) => ({ path: p, text: bytesToText(await readFile(p).catch(() => {
    throw new ReproSourcesError('INPUT', p, 'cannot read', { exitCode: 2 });
  })) })));
  const dispatcher = createAgent();
  try {
    const sources = contents.filter((c) => !isDockerfileName(c.path));
    const pinned = sources.flatMap((c) => rewriteSources(c.text, { id: '19700101T000000Z', file: c.path, keepIds: true }).report.filter((e) => e.kind !== 'foreign' && e.kind !== 'unsupported'));
    const archive = pinned[0]?.archive ?? 'debian';
    const base = o.snapshotBase ?? pinned[0]?.target?.base;
    const exact = o.to === 'latest'
      ? await latestSnapshot({ archive, base, dispatcher, ...(o.now ? { now: o.now } : {}) })
      : await resolveSnapshot({ archive, base, id: timeToId(o.to, '--to'), dispatcher });
    const maxStale = o.maxStalenessSec ?? 172_800;
    if (exact.stalenessSec > maxStale) {
      throw new ReproSourcesError('HTTP', `${exact.base}${archive}/`, `the snapshot reached, ${exact.id}, is ${Math.round(exact.stalenessSec / 3600)} h older than the time asked (${exact.asked}); has the mirror stopped importing? (--max-staleness ${maxStale})`);
    }
    const id = exact.id;
    const epoch = fromSnapshotId(id);
    const files: FileBump[] = [];
    const writes: { path: string; text: string }[] = [];
    const targets: SnapshotTarget[] = [];
    for (const c of contents) {
      if (isDockerfileName(c.path)) {
        const r = bumpDockerfile(c.text, epoch);
        files.push({ path: c.path, kind: 'dockerfile', pins: r.pins.length, from: [...new Set(r.pins.map((p) => toSnapshotId(p.epoch)))], to: id, changed: r.text !== c.text });
        if (r.text !== c.text) writes.push({ path: c.path, text: r.text });
      } else {
        const before = rewriteSources(c.text, { id, file: c.path, keepIds: true });
        const r = rewriteSources(c.text, { id, file: c.path, ...(o.snapshotBase ? { snapshotBase: o.snapshotBase } : {}) });
        const ids = [...new Set(before.targets.map((t) => t.id))];
        files.push({ path: c.path, kind: 'sources', pins: r.targets.length, from: ids, to: id, changed: r.changed });
        targets.push(...r.targets);
        if (r.changed) writes.push({ path: c.path, text: r.text });
      }
    }
    // apt must find every suite, component and architecture the files name at the new pin
    // before any pin moves there
    if (targets.length > 0) {
      const checked = await probe(targets, { dispatcher, maxStalenessSec: maxStale });
      const bad = checked.entries.find((e) => !e.ok);
      if (bad) throw new ReproSourcesError('HTTP', bad.origin ? `${bad.origin.file}:${bad.origin.line}` : bad.url, `not bumped to ${id}: ${bad.archive} ${bad.suite}: ${bad.problems.join('; ')}`);
    }
    const fromId = files.flatMap((f) => f.from)[0];
    // the sources' own pin is what apt saw: compare from there
    const diffFrom = files.filter((f) => f.kind === 'sources').flatMap((f) => f.from)[0] ?? fromId;
    let diff: DiffReport | undefined;
    let diffError: string | undefined;
    if (sources.length > 0 && diffFrom && diffFrom !== id) {
      try {
        diff = await diffSnapshots({ files: sources.map((s) => ({ path: s.path, content: textToBytes(s.text) })), from: diffFrom, to: id, snapshotBase: base, fetch: { dispatcher } });
      } catch (e) {
        diffError = (e as Error).message;
      }
    }
    if (!o.dryRun) for (const w of writes) await writeFileAtomic(w.path, textToBytes(w.text));
    const report: BumpReport = { to: id, epoch, changed: writes.length > 0, files, diff, diffError, markdown: '' };
    report.markdown = bumpMarkdown(report, fromId);
    return report;
  } finally {
    await dispatcher.close();
  }
}

export function bumpMarkdown(r: BumpReport, fromId: string | undefined): string {
  const lines = [`## Bump the apt snapshot${fromId ? ` from ${fromId}` : ''} to ${r.to}`, '', `SOURCE_DATE_EPOCH=${r.epoch}`, ''];
  if (!r.changed) lines.push('Already at this snapshot: nothing to change.', '');
  lines.push('| file | pins | from | to |', '|---|---|---|---|');
  for (const f of r.files) lines.push(`| ${f.path} | ${f.pins} | ${f.from.join(', ') || '-'} | ${f.changed ? f.to : 'unchanged'} |`);
  if (r.diff) {
    lines.push('', '### What changes');
    for (const a of r.diff.archives) {
      lines.push('', `**${a.archive}** ${a.from} → ${a.to}: ${a.changed.length} upgraded, ${a.added.length} added, ${a.removed.length} removed`);
      for (const c of a.changed.slice(0, 50)) lines.push(`- ${c.package} (${c.architecture}): ${c.from} → ${c.to}`);
      for (const c of a.added.slice(0, 20)) lines.push(`- ${c.package} (${c.architecture}): new, ${c.version}`);
      for (const c of a.removed.slice(0, 20)) lines.push(`- ${c.package} (${c.architecture}): removed (was ${c.version})`);
    }
    if (r.diff.security.length > 0) lines.push('', `Security updates: ${r.diff.security.map((s) => `${s.package} ${s.to}`).join(', ')}`);
  } else if (r.diffError) {
    lines.push('', `(What changes could not be computed: ${r.diffError})`);
  }
  return `${lines.join('\n')}\n`;
}
