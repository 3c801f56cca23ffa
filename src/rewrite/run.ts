/**
 * One `rewrite` run over files or over a whole ROOT (the repro-sources-list.sh drop-in), as
 * data: what each file became, what else was written. Nothing is written before every file
 * parsed and every check passed; --stdout and --dry-run write nothing at all.
 */
import { EpochError, UsageError } from '../errors.js';
import { archiveInfo, firstSnapshotOf } from '../snapshot/archives.js';
import { fromSnapshotId } from '../snapshot/id.js';
import { isAbsolute, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { displayText } from '../sources/text.js';
import { applyRewrites, assertNoneFailed, planRewrites, readSourcesFile, readSourcesFiles, type FileRewrite } from './files.js';
import { hasSystemCaBundle, installCaBundle, keepAptCache, readDistro } from './drop-in.js';
import type { ReportEntry, RewriteOptions } from './rewrite.js';
import { unifiedDiff } from './unified-diff.js';
import { checkNativeApt, checkNativeSupport, checkNativeTargets, nativeSnapshotConf } from './native.js';
import { installedVersion } from '../apt/dpkg-status.js';
import { putRootFile } from './files.js';

export interface RewriteRunOptions extends Omit<RewriteOptions, 'file' | 'format'> {
  /** Files to rewrite; none: every sources file of ROOT, as repro-sources-list.sh does. */
  files: readonly string[];
  root: string;
  epoch: number;
  /** write: in place; stdout: print the one file's result; dry-run: print a diff. */
  mode: 'write' | 'stdout' | 'dry-run';
  strict?: boolean | undefined;
  /** Write a CA bundle for HTTPS snapshot servers: default on in drop-in mode for Ubuntu roots without one. */
  caBundle?: boolean | undefined;
  /** dry-run: patch paths are relative to this directory (default: the process's). */
  cwd?: string | undefined;
  /** The drop-in's environment: BACKPORTS, KEEP_CACHE, WRITE_SOURCE_DATE_EPOCH. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface FileOutcome {
  path: string;
  format: 'one-line' | 'deb822';
  changed: boolean;
  entries: ReportEntry[];
}

export interface RewriteRun {
  mode: 'write' | 'stdout' | 'dry-run';
  id: string;
  epoch: number;
  dropIn: boolean;
  files: FileOutcome[];
  /** Other files written or removed (apt configuration, CA bundle). */
  written: string[];
  /** --stdout: the file's new bytes; --dry-run: the unified diff. */
  output?: Buffer;
}

export async function runRewrite(o: RewriteRunOptions): Promise<RewriteRun> {
  const dropIn = o.files.length === 0;
  if (o.mode === 'stdout' && o.files.length !== 1) throw new UsageError('--stdout', 'needs exactly one FILE');
  const files = dropIn ? await readSourcesFiles(o.root) : await Promise.all(o.files.map(readSourcesFile));
  const distro = dropIn ? await readDistro(o.root) : undefined;
  if (dropIn && files.length === 0) throw new UsageError(o.root, 'no sources files under etc/apt (sources.list, sources.list.d/*.list|*.sources)');
  if (dropIn && distro?.distro === undefined) throw new UsageError(`${o.root}/etc/os-release`, 'neither Debian nor Ubuntu (ID/ID_LIKE)');

  if (o.native && distro) checkNativeSupport(distro, o.root);
  if (o.native && (dropIn || o.root !== '/')) checkNativeApt(await installedVersion(o.root, 'apt'), o.root);
  const snapshotBase = o.snapshotBase;
  const plan = planRewrites(files, { ...o, ...(snapshotBase ? { snapshotBase } : {}) });
  if (dropIn && distro?.distro === 'debian' && distro.codename && (o.env ?? {}).BACKPORTS === '1') {
    const { addBackports } = await import('./backports.js');
    for (const r of plan) {
      const text = addBackports(r.after.toString('latin1'), r.result.format, distro.codename);
      if (text === undefined) continue;
      r.after = Buffer.from(text, 'latin1');
      r.result = { ...r.result, text, changed: true };
      break;
    }
  }
  if (o.native) checkNativeTargets(plan.flatMap((r) => r.result.targets));
  checkFirstSnapshots(plan, o.epoch);
  assertNoneFailed(plan, o.strict === true);

  const outcomes = plan.map((r): FileOutcome => ({ path: r.path, format: r.result.format, changed: r.result.changed, entries: r.result.report }));
  const run: RewriteRun = { mode: o.mode, id: o.id, epoch: o.epoch, dropIn, files: outcomes, written: [] };
  if (o.mode === 'stdout') return { ...run, output: plan[0]!.after };
  if (o.mode === 'dry-run') {
    const cwd = o.cwd ?? process.cwd();
    const diff = plan.map((r) => unifiedDiff(displayText(r.before.toString('latin1')), displayText(r.after.toString('latin1')), `a/${patchPath(r.path, cwd)}`, `b/${patchPath(r.path, cwd)}`)).join('');
    return { ...run, output: Buffer.from(diff) };
  }

  const nativeConf = o.native && dropIn
    ? nativeSnapshotConf(plan.flatMap((r) => r.result.report.flatMap((e) => (e.target ? [{ uri: e.uri, target: e.target }] : []))), o.id)
    : undefined;
  await applyRewrites(plan, o.root);
  if (nativeConf && (await putRootFile(o.root, '/etc/apt/apt.conf.d/50repro-sources-snapshot', Buffer.from(nativeConf)))) {
    run.written.push('/etc/apt/apt.conf.d/50repro-sources-snapshot');
  }
  const env = o.env ?? {};
  const usesHttps = plan.some((r) => r.result.targets.some((t) => t.base.startsWith('https:')));
  const wantCa = o.caBundle ?? (dropIn && (distro?.distro === 'ubuntu' || usesHttps) && !(await hasSystemCaBundle(o.root)));
  if (wantCa) run.written.push(...(await installCaBundle(o.root)));
  if (dropIn) {
    if ((env.KEEP_CACHE ?? '1') === '1') run.written.push(...(await keepAptCache(o.root)));
    const out = env.WRITE_SOURCE_DATE_EPOCH;
    if (out && out !== '/dev/null') await writeFileAtomic(out, `${o.epoch}\n`);
  }
  return run;
}

/**
 * The path a dry-run patch names: relative to cwd when the file is under it (`patch -p1` and
 * `git apply` there), else the absolute path without its leading slash (apply from /).
 */
export function patchPath(file: string, cwd: string): string {
  const abs = resolve(cwd, file);
  const rel = relative(cwd, abs);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs.replace(/^\/+/, '');
}

/** An Ubuntu entry pinned before snapshot.ubuntu.com began would 404: refuse the whole run. */
function checkFirstSnapshots(plan: readonly FileRewrite[], epoch: number): void {
  for (const r of plan) {
    for (const t of r.result.targets) {
      const first = archiveInfo(t.archive)?.firstSnapshot ?? firstSnapshotOf(t.distro);
      if (epoch < fromSnapshotId(first)) {
        throw new EpochError(`${t.origin?.file ?? r.path}:${t.origin?.line ?? 0}`, `snapshot ${t.id} is before the first snapshot of ${t.archive} (${first})`);
      }
    }
  }
}
