/** A lockfile from disk (its own module: `fetch` and `sbom` need this, not the resolver and its HTTP stack). */
import { readFile } from 'node:fs/promises';
import { ReproSourcesError } from '../errors.js';
import { parseLockfile, type Lockfile } from './lockfile.js';

/** Reads and checks a lockfile; a missing or malformed one is bad input (exit 2). */
export async function readLockfile(path: string): Promise<Lockfile> {
  const text = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new ReproSourcesError('INPUT', path, e.code === 'ENOENT' ? 'no such file' : `cannot read: ${e.code ?? e.message}`);
  });
  return parseLockfile(text, path);
}
