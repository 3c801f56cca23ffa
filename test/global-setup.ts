/**
 * The suite is hermetic: every state path lives under a temp dir. This guard fails the run when
 * anything changed the host's apt state or rewrite's originals store (a test that ran rewrite or
 * restore without --root, a cache command without a directory).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

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
  const before = await fingerprint();
  return async () => {
    const after = await fingerprint();
    const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
    if (changed.length > 0) {
      // vitest reports a teardown error but keeps its exit code: set a failing one
      process.exitCode = 1;
      throw new Error(`the suite wrote outside its temp dirs: ${changed.slice(0, 10).map((k) => `${k} (${before[k] ?? 'absent'} -> ${after[k] ?? 'absent'})`).join(', ')}`);
    }
  };
}
