import type { Command } from '../program.js';
import { jsonDocument } from '../json.js';
import { UsageError } from '../../errors.js';
import { parseDistro } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  program
    .command('bump')
    .argument('<file...>', 'Dockerfiles (ARG/ENV SOURCE_DATE_EPOCH pins) and sources files (snapshot URLs)')
    .description('move the snapshot pins to a newer snapshot that exists, and print a Markdown summary')
    .option('--to <time>', 'latest, an epoch, or a snapshot id', 'latest')
    .option('--snapshot-base <url>', 'snapshot service base URL')
    .option('--dry-run', 'change nothing; print what would change')
    .option('--max-staleness <seconds>', 'refuse a target snapshot this much older than the time asked (a frozen mirror)', '172800')
    .option('--packages <list>', "packages to report on, besides those the Dockerfiles' apt-get install lines name")
    .option('--distro <distro>', 'with no sources file: the release apt runs on, when FROM names none (with --codename)')
    .option('--codename <name>', 'with --distro')
    .option('--json', 'print one JSON document')
    .action(async (files: string[], f: { to: string; snapshotBase?: string; dryRun?: boolean; json?: boolean; maxStaleness: string; packages?: string; distro?: string; codename?: string }) => {
      if (files.length === 0) throw new UsageError('bump', 'name the files that hold pins');
      // a lockfile is bumped by re-resolving its request (src/lock)
      const lockfiles = await import('../lock-bump.js');
      if (await lockfiles.namesLockfile(files, io)) {
        setExit(await lockfiles.runBumpLock(files, { to: f.to, snapshotBase: f.snapshotBase ?? io.env.SNAPSHOT_ARCHIVE_BASE, dryRun: f.dryRun === true, json: f.json === true }, io));
        return;
      }
      const { bump } = await import('../../update/bump.js');
      const maxStalenessSec = Number(f.maxStaleness);
      if (!Number.isFinite(maxStalenessSec) || maxStalenessSec < 0) throw new UsageError(`--max-staleness ${f.maxStaleness}`, 'must be a number of seconds');
      const r = await bump({
        files,
        to: f.to,
        snapshotBase: f.snapshotBase ?? io.env.SNAPSHOT_ARCHIVE_BASE,
        dryRun: f.dryRun === true,
        maxStalenessSec,
        packages: f.packages?.split(/[,\s]+/).filter(Boolean),
        distro: parseDistro(f.distro),
        codename: f.codename,
      });
      io.stdout.write(f.json ? jsonDocument({ ...r, markdown: undefined }) : r.markdown);
      setExit(0);
    });
}
