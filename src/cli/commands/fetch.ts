import type { Command } from '../program.js';
import type { CliIo, ExitCode } from '../io.js';
import { jsonDocument } from '../json.js';

interface Flags {
  to: string;
  cache?: string;
  snapshotBase?: string;
  concurrency: string;
  prune?: boolean;
  plainHttp?: boolean;
  json?: boolean;
}

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  program
    .command('fetch')
    .argument('<lockfile>', 'a lock written by `repro-sources lock`')
    .description('download exactly the files of a lock into DIR, each sha256- and size-checked against the lock')
    .requiredOption('--to <dir>', 'directory to write the .debs to')
    .option('--cache <ref>', 'take the files from this OCI cache first (oci://HOST/REPO or oci-layout:DIR)')
    .option('--snapshot-base <url>', "fetch from this snapshot service (e.g. a local serve) instead of the lock's")
    .option('--prune', 'then remove the .deb files of DIR the lock does not name (DIR on a cache mount shared with other locks)')
    .option('--concurrency <n>', 'downloads at once', '8')
    .option('--plain-http', 'talk plain HTTP to a cache registry that is not on loopback')
    .option('--json', 'print one JSON document')
    .action(async (file: string, f: Flags) => {
      const [{ readLockfile }, { fetchLocked }, { resolve }, { progressBar, formatBytes }, { UsageError }] = await Promise.all([
        import('../../lock/read.js'),
        import('../../lock/fetch.js'),
        import('node:path'),
        import('../progress.js'),
        import('../../errors.js'),
      ]);
      const concurrency = Number(f.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency ${f.concurrency}`, 'must be a whole number from 1 to 64');
      const lockfile = await readLockfile(resolve(io.cwd, file));
      let store;
      if (f.cache !== undefined) {
        const [{ parseReference }, { openStore }] = await Promise.all([import('../../oci/reference.js'), import('../../oci/store.js')]);
        store = await openStore(parseReference(f.cache, { plainHttp: f.plainHttp === true }), { env: io.env });
      }
      const bar = progressBar(io, !f.json);
      try {
        const r = await fetchLocked({ lockfile, to: resolve(io.cwd, f.to), store, snapshotBase: f.snapshotBase, prune: f.prune === true, concurrency, onProgress: (p) => bar.update(p) });
        bar.done();
        if (f.json) io.stdout.write(jsonDocument(r));
        else io.stderr.write(`repro-sources: fetched ${r.files} files into ${f.to}: ${r.fromCache} from the cache, ${r.fromNetwork} from the network, ${r.kept} already there${r.pruned > 0 ? `, ${r.pruned} others removed` : ''}; ${formatBytes(r.bytesReceived)} received, ${(r.ms / 1000).toFixed(1)} s\n`);
      } finally {
        await store?.close();
      }
      setExit(0);
    });
}
