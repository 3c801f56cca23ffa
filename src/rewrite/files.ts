/**
 * The file-level edge of rewrite: read sources files (refusing huge ones before reading),
 * rewrite them all in memory, and only when every one parsed, write the changed ones
 * atomically, stashing originals for `restore`.
 */
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError, ReproSourcesError } from '../errors.js';
import { confinedRealPath, inRoot } from '../fs/root.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { MAX_SOURCES_BYTES, textToBytes } from '../sources/text.js';
import { rewriteSources, type RewriteOptions, type RewriteResult } from './rewrite.js';
import type { SnapshotTarget } from '../sources/target.js';

export interface SourcesFile {
  path: string;
  content: Buffer;
  /** Modification time when read: a rewrite keeps it (the drop-in's default time comes from it). */
  mtimeMs?: number | undefined;
}

export async function readSourcesFile(path: string): Promise<SourcesFile> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(path, e.code === 'ENOENT' ? 'no such file' : `cannot read: ${e.code ?? e.message}`);
  });
  if (!st.isFile()) throw new InputError(path, 'not a regular file');
  if (st.size > MAX_SOURCES_BYTES) throw new InputError(path, `too large (${st.size} bytes; a sources file is at most ${MAX_SOURCES_BYTES})`);
  return { path, content: await readFile(path), mtimeMs: st.mtimeMs };
}

/** ROOT/etc/apt/sources.list and ROOT/etc/apt/sources.list.d/*.list|*.sources, in apt's order. */
export async function readSourcesFiles(root: string): Promise<SourcesFile[]> {
  const paths: string[] = [];
  const main = inRoot(root, '/etc/apt/sources.list');
  if (await stat(main).then((s) => s.isFile(), () => false)) paths.push(main);
  const partsDir = inRoot(root, '/etc/apt/sources.list.d');
  const parts = await readdir(partsDir).catch(() => [] as string[]);
  // apt reads the parts directory in alphabetical order and ignores other names
  for (const name of parts.sort()) if (/^[A-Za-z0-9_.-]+\.(list|sources)$/.test(name)) paths.push(join(partsDir, name));
  const out: SourcesFile[] = [];
  for (const p of paths) out.push(await readSourcesFile(p));
  return out;
}

export interface FileRewrite {
  path: string;
  before: Buffer;
  after: Buffer;
  result: RewriteResult;
  mtimeMs?: number | undefined;
}

/** Rewrites every file in memory; throws on the first bad one, having written nothing. */
export function planRewrites(files: readonly SourcesFile[], options: Omit<RewriteOptions, 'file' | 'format'>): FileRewrite[] {
  return files.map((f) => {
    const result = rewriteSources(f.content, { ...options, file: f.path });
    return { path: f.path, before: f.content, after: textToBytes(result.text), result, mtimeMs: f.mtimeMs };
  });
}

/** Snapshot targets the files hold after a rewrite with these options (for probe, diff, warm). */
export function snapshotTargets(files: readonly SourcesFile[], options: Omit<RewriteOptions, 'file' | 'format'>): SnapshotTarget[] {
  return planRewrites(files, options).flatMap((r) => r.result.targets);
}

/**
 * Writes the changed files of a plan atomically, stashing each original first. Each keeps its
 * modification time: without SOURCE_DATE_EPOCH the drop-in takes its time from it, so a second
 * run must find the same time (restore puts it back too).
 */
export async function applyRewrites(plan: readonly FileRewrite[], root: string): Promise<void> {
  for (const r of plan) if (r.result.changed) await confinedRealPath(root, r.path);
  // loaded when something is written: --stdout and --dry-run never need it
  const { stashOriginal } = await import('./stash.js');
  for (const r of plan) {
    if (!r.result.changed) continue;
    await stashOriginal(root, r.path, r.before, r.after, r.mtimeMs);
    await writeFileAtomic(r.path, r.after, r.mtimeMs !== undefined ? { mtime: new Date(r.mtimeMs) } : {});
  }
}

/** Writes (or removes, with content undefined) a file rewrite owns, stashed like the rest. */
export async function putRootFile(root: string, inRootPath: string, content: Uint8Array | undefined): Promise<boolean> {
  const path = inRoot(root, inRootPath);
  await confinedRealPath(root, path);
  const before = await readFile(path).catch(() => undefined);
  if (content === undefined ? before === undefined : before !== undefined && Buffer.compare(before, Buffer.from(content)) === 0) return false;
  const { stashOriginal } = await import('./stash.js');
  await stashOriginal(root, path, before, content);
  if (content === undefined) {
    await rm(path, { force: true });
  } else {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, content);
  }
  return true;
}

export function assertNoneFailed(plan: readonly FileRewrite[], strict: boolean): void {
  if (!strict) return;
  const bad = plan.flatMap((r) => r.result.report).filter((e) => e.kind === 'foreign' || e.kind === 'unsupported');
  if (bad.length > 0) {
    const e = bad[0]!;
    throw new ReproSourcesError('INPUT', `${e.file}:${e.line}`, `--strict: ${e.uri} ${e.suites.join(' ')} is not pinned (${e.reason ?? e.kind})${bad.length > 1 ? `, and ${bad.length - 1} more` : ''}`, { exitCode: 2 });
  }
}
