import { Option, type Command } from '../program.js';
import { addTimeOptions, chooseTime, distroOption, parseDistro, type TimeFlags } from '../options.js';
import { UsageError } from '../../errors.js';
import type { CliIo, ExitCode } from '../io.js';

interface Flags extends TimeFlags {
  distro?: string;
  codename?: string;
  format: 'deb822' | 'one-line';
  components?: string;
  arch?: string;
  backports?: boolean;
  snapshotBase?: string;
}

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('generate')
    .description('print a complete snapshot sources file for a release (no input file needed)')
    .addOption(distroOption().makeOptionMandatory())
    .requiredOption('--codename <name>', 'release codename, e.g. bookworm, trixie, noble')
    .addOption(new Option('--format <format>', 'deb822 (.sources) or one-line (.list)').choices(['deb822', 'one-line']).default('deb822'))
    .option('--components <list>', 'Debian: components besides main; Ubuntu: the components (default: main restricted universe multiverse)')
    .option('--arch <list>', 'architectures (comma-separated); Ubuntu puts those outside amd64/i386 on ubuntu-ports')
    .option('--backports', 'Debian: add CODENAME-backports')
    .option('--snapshot-base <url>', 'snapshot service base URL (default: http://snapshot.debian.org/archive/, https://snapshot.ubuntu.com/)');
  addTimeOptions(cmd, { mtime: 'none' });
  cmd.action(async (flags: Flags) => {
    const [{ generateSources, templateName }, { loadTemplate }, { dpkgArchOf }] = await Promise.all([
      import('../../generate/generate.js'),
      import('../../generate/templates.js'),
      import('../../apt/host-arch.js'),
    ]);
    const distro = parseDistro(flags.distro)!;
    const time = await chooseTime(flags, io, { distro });
    const base = flags.snapshotBase ?? io.env.SNAPSHOT_ARCHIVE_BASE;
    if (base !== undefined && !/^(https?|file):\/\//.test(base)) throw new UsageError(`--snapshot-base ${base}`, 'not an http(s):// or file:// URL');
    const list = (s: string | undefined): string[] | undefined => s?.split(/[,\s]+/).filter(Boolean);
    const components = list(flags.components);
    const architectures = list(flags.arch);
    const text = generateSources(
      {
        distro,
        codename: flags.codename!,
        epoch: time.epoch,
        format: flags.format,
        hostArch: dpkgArchOf(),
        ...(components ? { components } : {}),
        ...(architectures ? { architectures } : {}),
        ...(flags.backports ? { backports: true } : {}),
        ...(base ? { snapshotBase: base } : {}),
      },
      await loadTemplate(templateName(flags.format)),
    );
    io.stdout.write(text);
    setExit(0);
  });
}
