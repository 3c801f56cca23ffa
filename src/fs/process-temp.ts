/**
 * Temp files that die with their process: each process writes under one directory (or file
 * names) that carry its pid, so a later run can tell a dead process's leftovers (kill -9, power
 * loss) from a live one's and remove them.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether a process with this pid exists (EPERM: it does, but is someone else's). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the entries of dir whose names match (the pid in the first group) and whose process
 * is gone. Returns the names removed. A missing dir holds nothing.
 */
export async function removeDeadLeftovers(dir: string, pattern: RegExp): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    await rm(join(dir, name), { recursive: true, force: true }).catch(() => {});
    removed.push(name);
  }
  return removed;
}

/** `<name>.<pid>.<random>.<ext>`: the temp name beside a final file that removeDeadLeftovers understands. */
export function tempNameBeside(final: string, ext: 'tmp' | 'part'): string {
  return `${final}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.${ext}`;
}

/** Matches tempNameBeside's names of that extension; group 1 is the pid. */
export function besidePattern(ext: 'tmp' | 'part'): RegExp {
  return new RegExp(`^.+\\.(\\d+)\\.[0-9a-z]+\\.${ext}$`);
}

/** This process's own temp dir `<tmpdir>/<prefix><pid>-<random>`, after removing dead processes' ones. */
export async function processTempDir(prefix: string): Promise<string> {
  const root = tmpdir();
  await removeDeadLeftovers(root, new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-[0-9a-z]+$`));
  const dir = join(root, `${prefix}${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}
