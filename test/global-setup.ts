/**
 * The suite is hermetic: every state path lives under a temp dir. This guard fails the run when
 * anything changed the host's apt state or rewrite's originals store (a test that ran rewrite or
 * restore without --root, a cache command without a directory).
 *
 * The run gets a temp dir of its own (TMPDIR, which the test workers inherit), so an original
 * that another process on a shared machine stashes for a file under some other temp dir is told
 * apart from one of ours, and only noted.
 */
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ORIGINALS = '/var/lib/repro-sources/originals';
export const GUARDED = ['/var/lib/repro-sources', '/etc/apt', '/var/cache/apt/archives'];

/** path -> "type size mtime" of everything under the guarded paths ("absent" when missing). */
export async function fingerprint(paths: readonly string[] = GUARDED): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(p: string): Promise<void> {
    const st = await lstat(p).catch(() => undefined);
    if (!st) {
      out[p] = 'absent';
      return;
    }
    out[p] = `${st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'link' : 'file'} ${st.isDirectory() ? '' : st.size} ${st.isDirectory() ? '' : st.mtimeMs}`;
    if (st.isDirectory()) for (const name of (await readdir(p).catch(() => [] as string[])).sort()) await walk(join(p, name));
  }
  for (const p of paths) await walk(p);
  return out;
}

export default async function setup(): Promise<() => Promise<void>> {
  const systemTmp = tmpdir();
  const runTmp = await mkdtemp(join(systemTmp, 'rs-suite-'));
  process.env.TMPDIR = runTmp;
  const before = await fingerprint();
  return async () => {
    const after = await fingerprint();
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
    // a stash record is named after the file it keeps: one under another temp dir is another process's
    const foreign = (k: string): boolean => {
      if (!k.startsWith(`${ORIGINALS}/`)) return false;
      const file = decodeURIComponent(k.slice(ORIGINALS.length + 1).replace(/\.(json|orig)$/, ''));
      return file.startsWith(`${systemTmp}/`) && !file.startsWith(`${runTmp}/`);
    };
    const records = changed.filter((k) => k.startsWith(`${ORIGINALS}/`));
    const othersOnly = records.length > 0 && records.every(foreign);
    const ours = changed.filter((k) => !foreign(k) && !(othersOnly && (k === ORIGINALS || k === '/var/lib/repro-sources')));
    await rm(runTmp, { recursive: true, force: true });
    if (ours.length < changed.length) console.warn(`hermetic guard: ignored ${changed.length - ours.length} change(s) another process made under ${ORIGINALS}`);
    if (ours.length > 0) {
      // vitest reports a teardown error but keeps its exit code: set a failing one
      process.exitCode = 1;
      throw new Error(`the suite wrote outside its temp dirs: ${ours.slice(0, 10).map((k) => `${k} (${before[k] ?? 'absent'} -> ${after[k] ?? 'absent'})`).join(', ')}`);
    }
  };
}
