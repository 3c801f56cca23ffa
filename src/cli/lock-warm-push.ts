/** What `warm --lock` and `cache push --lock` run: kept here so those commands change by a line each. */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIo, ExitCode } from './io.js';
import { readLockfile } from '../lock/read.js';
import { checkDirHoldsLock, readDebNames, warmLocked } from '../lock/locked-set.js';
import { jsonDocument } from './json.js';

export async function warmLockCli(packages: readonly string[], file: string, f: { to: string; tag?: string | undefined; snapshotBase?: string | undefined; json: boolean }, io: CliIo): Promise<ExitCode> {
  if (packages.length > 0) throw new UsageError('--lock', 'takes the packages from the lock, not from arguments');
  const [{ parseReference }, { openStore }, { formatBytes }] = await Promise.all([import('../oci/reference.js'), import('../oci/store.js'), import('./progress.js')]);
  const lockfile = await readLockfile(resolve(io.cwd, file));
  const ref = parseReference(f.to);
  const store = await openStore(ref, { env: io.env });
  try {
    const r = await warmLocked({ lockfile, store, tag: f.tag ?? ref.tag, snapshotBase: f.snapshotBase });
    if (f.json) io.stdout.write(jsonDocument({ ref: `${store.name}@${r.digest}`, ...r }));
    else {
      io.stdout.write(`${r.digest}\n`);
      io.stderr.write(`repro-sources: warmed ${store.name}:${r.tag} with ${file}: ${r.files} files, ${formatBytes(r.bytesSent)} sent, ${formatBytes(r.bytesSkipped)} skipped\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

/** Throws (exit 1) unless dir holds exactly the lock's files. */
export async function checkDirCli(dir: string, file: string, io: CliIo): Promise<void> {
  const lockfile = await readLockfile(resolve(io.cwd, file));
  checkDirHoldsLock(dir, await readDebNames(dir), lockfile, file);
}
