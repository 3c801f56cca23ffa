import type { Command } from '../program.js';
import { jsonDocument } from '../json.js';
import { addRootOption, addTimeOptions, chooseTime, distroOption, parseDistro, type TimeFlags } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';

interface Flags extends TimeFlags {
  distro?: string;
  root: string;
  snapshotBase?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('snapshot')
    .description('print the snapshot id for SOURCE_DATE_EPOCH (or --epoch/--date)')
    .addOption(distroOption())
    .option('--snapshot-base <url>', 'base URL of the snapshot service (for --json urls)')
    .option('--json', 'print {epoch, id, iso, urls} as JSON');
  addTimeOptions(cmd, { snapshot: false, mtime: 'root' });
  addRootOption(cmd);
  cmd.action(async (flags: Flags) => {
    const { snapshotDocument } = await import('../../snapshot/document.js');
    const distro = parseDistro(flags.distro);
    const time = await chooseTime(flags, io, { distro, root: flags.root });
    if (flags.json) {
      const doc = snapshotDocument(time.epoch, { distro: distro ?? 'debian', base: flags.snapshotBase ?? io.env.SNAPSHOT_ARCHIVE_BASE });
      io.stdout.write(jsonDocument(doc));
    } else {
      io.stdout.write(`${time.id}\n`);
    }
    setExit(0);
  });
}
