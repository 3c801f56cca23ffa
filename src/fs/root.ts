/**
 * Paths confined to a system root: a file under --root may be a symlink, but one that leads
 * out of the root is refused (writing through it would change the host).
 */
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ReproSourcesError } from '../errors.js';

/** ROOT + an absolute in-root path ("/etc/apt/sources.list"). */
export function inRoot(root: string, path: string): string {
  return join(resolve(root), path.startsWith('/') ? path.slice(1) : path);
}

/**
 * The real path of file, checked to lie inside root. Missing files are fine (undefined is
 * returned); a symlink whose target leaves root is an error.
 */
export async function confinedRealPath(root: string, file: string): Promise<string | undefined> {
  const st = await lstat(file).catch(() => undefined);
  if (!st) return undefined;
  const realRoot = await realpath(root);
  const real = await realpath(file).catch(() => undefined);
  if (real === undefined) {
    throw new ReproSourcesError('UNSAFE_PATH', file, 'a dangling symlink: refusing to write through it');
  }
  const rel = relative(realRoot, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ReproSourcesError('UNSAFE_PATH', file, `a symlink that leaves the root (${real} is outside ${realRoot}): refusing to follow it`);
  }
  return real;
}
