import { Option, type Command } from '../program.js';
import { UsageError } from '../../errors.js';
import { addRootOption, addTimeOptions, chooseTime, type TimeFlags } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';

interface Flags extends TimeFlags {
  root: string;
  snapshotBase: string[];
  probe?: boolean;
  resolve?: boolean;
  stdout?: boolean;
  dryRun?: boolean;
  strict?: boolean;
  native?: boolean;
  json?: boolean;
  map: string[];
  keep: string[];
  caBundle?: boolean;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('rewrite')
    .argument('[file...]', 'sources files to rewrite in place (none: every sources file of ROOT, like repro-sources-list.sh)')
    .description('pin Debian and Ubuntu entries of apt sources files to snapshot URLs, losslessly')
    .option('--snapshot-base <url>', 'snapshot service base URL (default: $SNAPSHOT_ARCHIVE_BASE, else http://snapshot.debian.org/archive/ and https://snapshot.ubuntu.com/); repeat with --probe to fall back', collect, [])
    .option('--resolve', 'pin each archive to the exact snapshot the server holds at that time (asks the server)')
    .option('--probe', 'probe the snapshot repositories first; write the first base that serves each archive well, fail if none does')
    .addOption(new Option('--stdout', 'print the rewritten file instead of writing it (one FILE)').conflicts('dryRun'))
    .option('--dry-run', 'print a unified diff and change nothing')
    .option('--strict', 'fail when an entry is left unpinned (third-party, PPA, unsupported release)')
    .option('--native', "use apt's own snapshot support (Snapshot: / snapshot=) instead of rewriting URIs")
    .option('--map <uri=archive>', 'treat entries under URI as this snapshot archive (repeatable)', collect, [])
    .option('--keep <uri>', 'leave entries under URI alone (repeatable)', collect, [])
    .option('--ca-bundle', "write Node's root certificates for apt's HTTPS (default: on for Ubuntu roots without ca-certificates, drop-in mode)")
    .option('--no-ca-bundle', 'never write the CA bundle')
    .option('--json', 'print a JSON report');
  addTimeOptions(cmd);
  addRootOption(cmd);
  cmd.action(async (files: string[], flags: Flags) => {
    const [{ runRewrite }, { renderRewrite }, { readDistro }] = await Promise.all([
      import('../../rewrite/run.js'),
      import('../render-rewrite.js'),
      import('../../rewrite/drop-in.js'),
    ]);
    const dropIn = files.length === 0;
    const distro = dropIn ? (await readDistro(flags.root)).distro : undefined;
    const time = await chooseTime(flags, io, { distro, root: flags.root, files });
    const bases = flags.snapshotBase.length > 0 ? flags.snapshotBase : io.env.SNAPSHOT_ARCHIVE_BASE ? [io.env.SNAPSHOT_ARCHIVE_BASE] : [];
    for (const b of bases) if (!/^[a-z+]+:\/\//.test(b)) throw new UsageError(`--snapshot-base ${b}`, 'not a URL');
    if (bases.length > 1 && !flags.probe) throw new UsageError('--snapshot-base', 'several bases need --probe to choose between them');
    const base = bases[0];
    const map = flags.map.map((m): [string, string] => {
      const eq = m.lastIndexOf('=');
      if (eq <= 0) throw new UsageError(`--map ${m}`, 'expected URI=ARCHIVE');
      return [m.slice(0, eq), m.slice(eq + 1)];
    });
    // only these two flags reach for the network: plain rewrite never loads it
    const pins = flags.probe || flags.resolve
      ? await (await import('../../probe/pin.js')).networkPins({ files, root: flags.root, id: time.id, bases, resolve: flags.resolve === true, probe: flags.probe === true })
      : undefined;
    const run = await runRewrite({
      files,
      root: flags.root,
      id: time.id,
      epoch: time.epoch,
      mode: flags.stdout ? 'stdout' : flags.dryRun ? 'dry-run' : 'write',
      snapshotBase: base,
      ...(pins ? { archiveIds: pins.archiveIds, archiveBases: pins.archiveBases } : {}),
      map,
      keep: flags.keep,
      native: flags.native,
      // no time given: a file already pinned keeps its pin (a second drop-in run moves nothing)
      keepIds: time.source === 'mtime',
      strict: flags.strict,
      caBundle: flags.caBundle,
      env: io.env,
      cwd: io.cwd,
    });
    renderRewrite(run, io, { json: flags.json === true });
    setExit(0);
  });
}
