/**
 * A write that a crash can't leave half done: the bytes go to a temp file in the same
 * directory, are fsynced, get the target's mode and owner, and are renamed over the target
 * (rename is atomic within a filesystem); then the directory is fsynced.
 */
import { chown, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let counter = 0;

export interface AtomicWriteOptions {
  /** Mode for a new file (an existing file keeps its own). @default 0o644 */
  mode?: number;
  /** Give the new file this modification time (rewrite keeps a sources file's mtime: it is the drop-in's default time). */
  mtime?: Date;
}

export async function writeFileAtomic(path: string, data: Uint8Array | string, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  // unique per process and call; 'wx' below refuses a name that exists anyway
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${(++counter).toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
  const old = await stat(path).catch(() => undefined);
  const fh = await open(tmp, 'wx', old ? old.mode & 0o7777 : (options.mode ?? 0o644));
  try {
    await fh.writeFile(data);
    if (old) {
      await fh.chmod(old.mode & 0o7777);
      // keeping the owner needs root; as anyone else the file is theirs anyway
      if (process.getuid?.() === 0) await chown(tmp, old.uid, old.gid);
    }
    if (options.mtime) await fh.utimes(options.mtime, options.mtime);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r').catch(() => undefined);
  if (!d) return;
  try {
    await d.sync();
  } catch {
    // some filesystems refuse fsync on directories; the rename is done either way
  } finally {
    await d.close();
  }
}
