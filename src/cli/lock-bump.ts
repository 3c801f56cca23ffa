/** `bump FILE.lock.json`: what the bump command runs for lockfiles (kept here, out of bump's Dockerfile path). */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIo, ExitCode } from './io.js';
import { bumpLock } from '../lock/lock.js';
import { jsonDocument } from './json.js';

export async function runBumpLock(files: readonly string[], f: { to: string; snapshotBase?: string | undefined; dryRun: boolean; json: boolean }, io: CliIo): Promise<ExitCode> {
  if (files.length !== 1) throw new UsageError('bump', 'bump one lockfile at a time, and no other file with it');
  const r = await bumpLock({ file: resolve(io.cwd, files[0]!), name: files[0]!, to: f.to, snapshotBase: f.snapshotBase, dryRun: f.dryRun, now: io.now });
  if (f.json) io.stdout.write(jsonDocument({ changed: r.changed, from: r.before.request.time, to: r.after.request.time, diff: r.diff }));
  else io.stdout.write(r.markdown);
  return 0;
}

/** Whether the files name a lockfile: by name (*.lock.json), or a JSON file that starts like one. */
export async function namesLockfile(files: readonly string[], io: CliIo): Promise<boolean> {
  for (const f of files) {
    if (/\.lock(\.json)?$/.test(f)) return true;
    const fh = await open(resolve(io.cwd, f), 'r').catch(() => undefined);
    if (!fh) continue;
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(256), 0, 256, 0);
      if (/^\s*\{\s*"lockfileVersion"\s*:/.test(buffer.toString('utf8', 0, bytesRead))) return true;
    } finally {
      await fh.close();
    }
  }
  return false;
}
