/**
 * What `restore` needs: the original bytes of every file rewrite changed, created or removed,
 * kept under ROOT/var/lib/repro-sources/originals/ (apt never reads there; sources.list.d
 * would make apt warn about unknown files on every run). A record also holds the hash of
 * what rewrite left, so a rewrite of our own output keeps the first original (restore undoes
 * any number of rewrites), while a file someone edited since is taken as a new original.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { ReproSourcesError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';

export const STASH_DIR = 'var/lib/repro-sources/originals';

interface StashRecord {
  /** Absolute path as seen inside ROOT. */
  path: string;
  /** sha256 of the original bytes, or null when the file did not exist. */
  original: string | null;
  /** sha256 of what rewrite left there, or null when it removed the file. */
  result: string | null;
  /** Modification time of the original (ms since 1970), put back by restore. */
  mtimeMs?: number;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function keyOf(root: string, file: string): { key: string; inRootPath: string } {
  const rel = relative(resolve(root), resolve(file));
  const inRootPath = rel.startsWith('..') ? resolve(file) : `/${rel}`;
  return { key: encodeURIComponent(inRootPath), inRootPath };
}

/**
 * Records a change rewrite is about to make: `before` is what the file holds now (undefined:
 * absent), `after` what it will hold (undefined: removed).
 */
export async function stashOriginal(root: string, file: string, before: Uint8Array | undefined, after: Uint8Array | undefined, mtimeMs?: number): Promise<void> {
  const dir = join(resolve(root), STASH_DIR);
  const { key, inRootPath } = keyOf(root, file);
  const recordFile = join(dir, `${key}.json`);
  const existing = await readRecord(recordFile);
  const beforeHash = before ? sha256(before) : null;
  const afterHash = after ? sha256(after) : null;
  if (existing && existing.result === beforeHash) {
    // our own earlier output: the first original stays the one to restore
    await writeFileAtomic(recordFile, JSON.stringify({ ...existing, result: afterHash }, null, 2) + '\n');
    return;
  }
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (before) await writeFileAtomic(join(dir, `${key}.orig`), before);
  else await rm(join(dir, `${key}.orig`), { force: true });
  const record: StashRecord = { path: inRootPath, original: beforeHash, result: afterHash, ...(before && mtimeMs !== undefined ? { mtimeMs } : {}) };
  await writeFileAtomic(recordFile, JSON.stringify(record, null, 2) + '\n');
}

async function readRecord(file: string): Promise<StashRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as StashRecord;
  } catch {
    return undefined;
  }
}

export interface RestoreOutcome {
  path: string;
  /** unchanged: rewrite never changed this file (third-party only, already pinned, empty): nothing to do. */
  action: 'restored' | 'removed' | 'recreated' | 'already-original' | 'unchanged';
}

/**
 * Gives back the original bytes (and modification time) of the given files (all stashed files
 * when none are given). A named file that rewrite never changed is left as it is: the same
 * restore line works for every file of an image. A file changed since rewrite left it is
 * refused, and nothing at all is written then.
 */
export async function restoreOriginals(root: string, files?: readonly string[]): Promise<RestoreOutcome[]> {
  const dir = join(resolve(root), STASH_DIR);
  let keys: string[];
  const named = new Map<string, string>();
  if (files && files.length > 0) {
    keys = files.map((f) => keyOf(root, f).key);
    files.forEach((f, i) => named.set(keys[i]!, resolve(f)));
  } else {
    keys = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  }
  const plans: { record: StashRecord; key: string; target: string; original: Buffer | undefined; current: Buffer | undefined }[] = [];
  const untouched: RestoreOutcome[] = [];
  for (const key of keys) {
    const record = await readRecord(join(dir, `${key}.json`));
    if (!record) {
      const target = named.get(key) ?? join(resolve(root), decodeURIComponent(key));
      const isFile = await stat(target).then((s) => s.isFile(), () => false);
      if (!isFile) throw new ReproSourcesError('INPUT', target, 'no such file, and repro-sources has not rewritten it', { exitCode: 2 });
      untouched.push({ path: target, action: 'unchanged' });
      continue;
    }
    const target = join(resolve(root), record.path);
    const current = await readFile(target).catch(() => undefined);
    const currentHash = current ? sha256(current) : null;
    if (currentHash !== record.result && currentHash !== record.original) {
      throw new ReproSourcesError('INPUT', target, 'changed since repro-sources rewrote it: not restoring over those changes', { exitCode: 2 });
    }
    const original = record.original ? await readFile(join(dir, `${key}.orig`)) : undefined;
    if (original && sha256(original) !== record.original) throw new ReproSourcesError('INTEGRITY', join(dir, `${key}.orig`), 'the stashed original is damaged', { exitCode: 1 });
    plans.push({ record, key, target, original, current });
  }
  const out: RestoreOutcome[] = [...untouched];
  for (const p of plans) {
    const currentHash = p.current ? sha256(p.current) : null;
    if (currentHash === p.record.original) {
      out.push({ path: p.target, action: 'already-original' });
    } else if (p.original) {
      await writeFileAtomic(p.target, p.original, p.record.mtimeMs !== undefined ? { mtime: new Date(p.record.mtimeMs) } : {});
      out.push({ path: p.target, action: p.current ? 'restored' : 'recreated' });
    } else {
      await rm(p.target, { force: true });
      out.push({ path: p.target, action: 'removed' });
    }
    await rm(join(dir, `${p.key}.orig`), { force: true });
    await rm(join(dir, `${p.key}.json`), { force: true });
  }
  return out;
}
