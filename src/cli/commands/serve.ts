import type { Command } from '../program.js';
import { UsageError } from '../../errors.js';
import type { CliIo, ExitCode } from '../io.js';

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  program
    .command('serve')
    .description('serve snapshot URLs to apt from the OCI cache, asking upstream at most once per object')
    .option('--listen <host:port>', 'address to listen on (loopback unless told otherwise)', '127.0.0.1:3142')
    .option('--upstream <url>', 'snapshot base to fetch from, in order (default: each archive\'s own service)', collect, [])
    .option('--cache <ref>', 'oci://HOST/REPO or oci-layout:DIR where objects are kept')
    .option('--archives <list>', 'archives to serve (default: all snapshot archives)')
    .option('--keyring <file>', 'a keyring that may sign Releases, besides the Debian and Ubuntu archive keyrings in /usr/share/keyrings (repeatable)', collect, [])
    .option('--drain <seconds>', 'on SIGTERM, how long responses under way may take before they are cut', '10')
    .addHelpText('after', '\nPoint apt at it with: repro-sources rewrite --snapshot-base http://HOST:PORT/\nGET /healthz, GET /metrics (JSON; ?format=prometheus for Prometheus text). SIGTERM: finish in-flight responses (up to --drain seconds), then exit.')
    .action(async (f: { listen: string; upstream: string[]; cache?: string; archives?: string; keyring: string[]; drain: string }) => {
      checkListen(f.listen);
      const drainMs = Number(f.drain) * 1000;
      if (!Number.isFinite(drainMs) || drainMs < 0) {
        io.stderr.write(`repro-sources: --drain ${f.drain}: expected a number of seconds\n`);
        return setExit(2);
      }
      const { existsSync } = await import('node:fs');
      const missing = f.keyring.find((k) => !existsSync(k));
      if (missing) {
        io.stderr.write(`repro-sources: --keyring ${missing}: no such file\n`);
        return setExit(2);
      }
      const { startServe } = await import('../../serve/server.js');
      let store: import('../../oci/store.js').BlobStore | undefined;
      if (f.cache) {
        const [{ parseReference }, { openStore }] = await Promise.all([import('../../oci/reference.js'), import('../../oci/store.js')]);
        store = await openStore(parseReference(f.cache), { env: io.env });
      }
      const handle = await startServe({
        listen: f.listen,
        upstreams: f.upstream,
        store,
        keyrings: f.keyring,
        drainMs,
        ...(f.archives ? { archives: f.archives.split(/[,\s]+/).filter(Boolean) } : {}),
        log: (l) => io.stderr.write(`${l}\n`),
      });
      io.stderr.write(`repro-sources: serving on ${handle.url}${store ? ` from ${store.name}` : ' (no --cache: nothing is kept)'}\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          void handle.close().then(async () => {
            await store?.close();
            resolve();
          });
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      });
      setExit(0);
    });
}

/** HOST:PORT ([V6]:PORT), port 0-65535; refused before anything starts. */
export function checkListen(listen: string): void {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]/]+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) throw new UsageError('--listen', `expected HOST:PORT (e.g. 127.0.0.1:3142), got ${JSON.stringify(listen)}`);
}
