/**
 * The epoch repro-sources-list.sh uses when SOURCE_DATE_EPOCH is unset: the mtime of the
 * image's main sources file, which debuerreotype sets to the image's build time (rewrite keeps
 * that mtime, so a second run finds the same time). For named files: the newest of theirs.
 */
// node:fs's promises, read where used: loading node:fs/promises (and the readline it pulls in) is
// a tenth of what `snapshot` costs at start, and a given --epoch never stats a file
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_EPOCH_FILES = [
  'etc/apt/sources.list.d/debian.sources',
  'etc/apt/sources.list.d/ubuntu.sources',
  'etc/apt/sources.list',
] as const;

/** The mtime (whole seconds) of the first file of DEFAULT_EPOCH_FILES under root, with its path. */
export async function epochFromSourcesMtime(root: string): Promise<{ epoch: number; file: string } | undefined> {
  for (const rel of DEFAULT_EPOCH_FILES) {
    const file = join(root, rel);
    try {
      const st = await fsp.stat(file);
      if (st.isFile()) return { epoch: Math.floor(st.mtimeMs / 1000), file };
    } catch {
      // not there: try the next one
    }
  }
  return undefined;
}

/**
 * The newest mtime (whole seconds) among explicitly named files: they are what the build uses,
 * not the host's own sources file. Unreadable files are skipped (their read reports them).
 */
export async function epochFromFilesMtime(files: readonly string[]): Promise<{ epoch: number; file: string } | undefined> {
  let best: { epoch: number; file: string } | undefined;
  for (const file of files) {
    const st = await fsp.stat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    const epoch = Math.floor(st.mtimeMs / 1000);
    if (!best || epoch > best.epoch) best = { epoch, file };
  }
  return best;
}
