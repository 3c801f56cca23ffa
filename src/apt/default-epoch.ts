/**
 * The epoch repro-sources-list.sh uses when SOURCE_DATE_EPOCH is unset: the mtime of the
 * image's main sources file, which debuerreotype sets to the image's build time.
 */
import { stat } from 'node:fs/promises';
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
      const st = await stat(file);
      if (st.isFile()) return { epoch: Math.floor(st.mtimeMs / 1000), file };
    } catch {
      // not there: try the next one
    }
  }
  return undefined;
}
