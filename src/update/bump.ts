/**
 * bump: move the pins of a build to a newer snapshot on purpose. The target is resolved to a
 * snapshot that exists (the newest one for "latest"); only the pins change; the summary is
 * Markdown that can serve as a pull-request body, with what the new snapshot changes.
 */
import { readFile } from 'node:fs/promises';
import { ReproSourcesError, UsageError } from '../errors.js';
import type { Distro } from '../snapshot/archives.js';
import { checkKnownRelease, generateSources, templateName } from '../generate/generate.js';
import { loadTemplate } from '../generate/templates.js';
import { aptInstallPackages, dockerfileRelease, dockerfileStages, type BaseRelease } from './dockerfile.js';
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
  /** Packages to report on, besides those the Dockerfiles' apt-get install lines name. */
  packages?: readonly string[] | undefined;
  /** The release apt runs on, when no sources file is given and FROM names none (both or neither). */
  distro?: Distro | undefined;
  codename?: string | undefined;
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
  /** Where the sources the diff reads came from: the sources files, or the release of a Dockerfile's FROM (or --distro/--codename). */
  release?: (BaseRelease & { from: string }) | undefined;
  /** The packages the diff looks at (empty: all of them). */
  packages: string[];
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
  if ((o.distro === undefined) !== (o.codename === undefined)) throw new UsageError(o.distro === undefined ? '--distro' : '--codename', 'give --distro and --codename together');
  const dockerfiles = contents.filter((c) => isDockerfileName(c.path));
  const packages = [...new Set([...dockerfiles.flatMap((c) => aptInstallPackages(c.text)), ...(o.packages ?? [])])];
  const sources = contents.filter((c) => !isDockerfileName(c.path));
  // no sources file: the Dockerfile's base image says which release apt reads (generated sources stand in for its files)
  let release: BumpReport['release'];
  if (sources.length === 0) {
    if (o.distro && o.codename) release = { distro: o.distro, codename: o.codename, from: '--distro/--codename' };
    else {
      for (const d of dockerfiles) {
        const r = dockerfileRelease(d.text);
        if (r) {
          release = { ...r, from: d.path };
          break;
        }
      }
    }
    if (release) checkKnownRelease(release.distro, release.codename);
    if (!release) {
      const image = dockerfiles.flatMap((d) => dockerfileStages(d.text)).at(-1)?.image;
      throw new UsageError(dockerfiles[0]?.path ?? 'bump', `${image ? `FROM ${image}` : 'no FROM'} names no Debian or Ubuntu release: give --distro and --codename (or a sources file)`);
    }
  }
  const dispatcher = createAgent();
  try {
    const pinned = sources.flatMap((c) => rewriteSources(c.text, { id: '19700101T000000Z', file: c.path, keepIds: true }).report.filter((e) => e.kind !== 'foreign' && e.kind !== 'unsupported'));
    const archive = pinned[0]?.archive ?? release?.distro ?? 'debian';
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
    if ((sources.length > 0 || release) && diffFrom && diffFrom !== id) {
      try {
        if (release) {
          // one diff per archive of the release: a snapshot server without (say) debian-security
          // at that time still reports the main archive
          const text = generateSources({ distro: release.distro, codename: release.codename, epoch: fromSnapshotId(diffFrom) }, await loadTemplate(templateName('deb822')));
          const stanzas = text.split(/\n\s*\n/).filter((st) => /^URIs:/m.test(st));
          const parts = await Promise.allSettled(stanzas.map((st) => diffSnapshots({ files: [{ path: `${release!.from} (${release!.distro} ${release!.codename})`, content: Buffer.from(`${st}\n`) }], from: diffFrom, to: id, snapshotBase: base, packages, fetch: { dispatcher } })));
          const ok = parts.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
          const failed = parts.flatMap((p) => (p.status === 'rejected' ? [(p.reason as Error).message] : []));
          if (ok.length > 0) diff = { ...ok[0]!, archives: ok.flatMap((d) => d.archives), security: ok.flatMap((d) => d.security) };
          if (failed.length > 0) diffError = failed.join('; ');
        } else {
          diff = await diffSnapshots({ files: sources.map((s) => ({ path: s.path, content: textToBytes(s.text) })), from: diffFrom, to: id, snapshotBase: base, packages, fetch: { dispatcher } });
        }
      } catch (e) {
        diffError = (e as Error).message;
      }
    }
    if (!o.dryRun) for (const w of writes) await writeFileAtomic(w.path, textToBytes(w.text));
    const report: BumpReport = { to: id, epoch, changed: writes.length > 0, release, packages, files, diff, diffError, markdown: '' };
    report.markdown = bumpMarkdown(report, fromId);
    return report;
  } finally {
    await dispatcher.close();
  }
}

export function bumpMarkdown(r: BumpReport, fromId: string | undefined): string {
  const lines = [`## Bump the apt snapshot${fromId ? ` from ${fromId}` : ''} to ${r.to}`, '', `SOURCE_DATE_EPOCH=${r.epoch}`, ''];
  if (!r.changed) lines.push('Already at this snapshot: nothing to change.', '');
  if (r.release) lines.push(`Packages of ${r.release.distro} ${r.release.codename} (from ${r.release.from === '--distro/--codename' ? r.release.from : `the FROM of ${r.release.from}`})${r.packages.length > 0 ? `: ${r.packages.join(', ')}` : ''}`, '');
  lines.push('| file | pins | from | to |', '|---|---|---|---|');
  for (const f of r.files) lines.push(`| ${f.path} | ${f.pins} | ${f.from.join(', ') || '-'} | ${f.changed ? f.to : 'unchanged'} |`);
  if (r.diff) {
    lines.push('', '### What changes');
    for (const a of r.diff.archives) {
      lines.push('', `**${a.archive}** ${a.from} → ${a.to}: ${a.changed.length} upgraded, ${a.added.length} added, ${a.removed.length} removed`);
      for (const c of a.changed.slice(0, 50)) lines.push(`- ${c.package} ${c.from} -> ${c.to} (${c.architecture})`);
      for (const c of a.added.slice(0, 20)) lines.push(`- ${c.package} new, ${c.version} (${c.architecture})`);
      for (const c of a.removed.slice(0, 20)) lines.push(`- ${c.package} removed, was ${c.version} (${c.architecture})`);
    }
    if (r.diff.security.length > 0) lines.push('', `Security updates: ${r.diff.security.map((s) => `${s.package} ${s.to}`).join(', ')}`);
  }
  if (r.diffError) lines.push('', `(${r.diff ? 'Some of what changes' : 'What changes'} could not be computed: ${r.diffError})`);
  return `${lines.join('\n')}\n`;
}
