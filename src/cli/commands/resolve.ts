import type { Command } from '../program.js';
import { jsonDocument } from '../json.js';
import { UsageError } from '../../errors.js';
import { DISTRO_ARCHIVES } from '../../snapshot/archives.js';
import { addTimeOptions, chooseTime, distroOption, parseDistro, type TimeFlags } from '../options.js';
import { addNetOptions, netNumbers, type NetFlags } from './probe.js';
import type { CliIo, ExitCode } from '../io.js';

interface Flags extends TimeFlags, NetFlags {
  distro?: string;
  archive?: string;
  json?: boolean;
}

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('resolve')
    .description('print the exact snapshot id the server holds at or before a time')
    .addOption(distroOption())
    .option('--archive <name>', 'snapshot archive (default: debian, or ubuntu with --distro ubuntu)')
    .option('--json', 'print {archive, base, asked, id, checked, stalenessSec}');
  addNetOptions(cmd, { several: false });
  addTimeOptions(cmd, { snapshot: false, mtime: 'none' });
  cmd.action(async (flags: Flags) => {
    const [{ resolveSnapshot }, { createAgent }] = await Promise.all([import('../../probe/resolve.js'), import('../../net/agent.js')]);
    const distro = parseDistro(flags.distro) ?? 'debian';
    const archive = flags.archive ?? DISTRO_ARCHIVES[distro][0]!;
    if (flags.snapshotBase.length > 1) throw new UsageError('--snapshot-base', 'resolve takes one base');
    const time = await chooseTime(flags, io, { distro });
    const net = netNumbers(flags);
    const dispatcher = createAgent({ connectTimeoutMs: net.timeoutMs, headersTimeoutMs: net.timeoutMs, bodyTimeoutMs: net.timeoutMs });
    try {
      const r = await resolveSnapshot({
        archive,
        id: time.id,
        base: flags.snapshotBase[0] ?? io.env.SNAPSHOT_ARCHIVE_BASE,
        dispatcher,
        retries: net.retries,
        maxWaitMs: net.maxWaitMs,
        totalTimeoutMs: net.timeoutMs * (net.retries + 1) + net.maxWaitMs * net.retries,
      });
      io.stdout.write(flags.json ? jsonDocument({ archive: r.archive, base: r.base, asked: r.asked, id: r.id, checked: r.checked, stalenessSec: r.stalenessSec }) : `${r.id}\n`);
    } finally {
      await dispatcher.close();
    }
    setExit(0);
  });
}
