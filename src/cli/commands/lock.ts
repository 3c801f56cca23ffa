import type { Command } from '../program.js';
import { UsageError } from '../../errors.js';
import { addTimeOptions, chooseTime, distroOption, parseDistro, type TimeFlags } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';
import { jsonDocument } from '../json.js';

interface Flags extends TimeFlags {
  root?: string;
  distro?: string;
  codename?: string;
  arch?: string[];
  snapshotBase?: string;
  output?: string;
  check?: string;
  json?: boolean;
}

const collect = (v: string, acc: string[] | undefined): string[] => [...(acc ?? []), v];

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('lock')
    .argument('[pkg...]', 'packages to resolve (with their dependencies)')
    .description("resolve packages at a snapshot with this machine's apt (isolated state) into a lockfile of the exact .debs")
    .option('--root <dir>', "use this root's sources files, pinned to the snapshot (the root is only read)")
    .addOption(distroOption())
    .option('--codename <name>', 'with --distro: generate the sources for this release')
    .option('--arch <arch>', 'architecture (repeat for several; the first is native; default: amd64)', collect)
    .option('--snapshot-base <url>', 'snapshot service base URL')
    .option('-o, --output <file>', 'where to write the lock', 'repro-sources.lock.json')
    .option('--check <file>', 'resolve the lock\'s request again: exit 0 when it still matches, 1 (and what differs) when not')
    .option('--json', 'with --check: print one JSON document');
  addTimeOptions(cmd);
  cmd.action(async (packages: string[], flags: Flags) => {
    const [{ lock, checkLock }, { readLockfile }, { serializeLockfile }, { resolve }] = await Promise.all([
      import('../../lock/lock.js'),
      import('../../lock/read.js'),
      import('../../lock/lockfile.js'),
      import('node:path'),
    ]);
    const distro = parseDistro(flags.distro);
    const snapshotBase = flags.snapshotBase ?? io.env.SNAPSHOT_ARCHIVE_BASE;
    if (flags.check !== undefined) {
      if (packages.length > 0) throw new UsageError('--check', 'takes the packages from the lock, not from arguments');
      const lockfile = await readLockfile(resolve(io.cwd, flags.check));
      const timeGiven = flags.snapshot !== undefined || flags.epoch !== undefined || flags.date !== undefined;
      const id = timeGiven ? (await chooseTime(flags, io, { distro: distro ?? lockfile.request.distro, root: flags.root })).id : undefined;
      const r = await checkLock({ lockfile, root: flags.root, distro, codename: flags.codename, id, architectures: flags.arch, snapshotBase });
      if (flags.json) io.stdout.write(jsonDocument({ ok: r.ok, diff: r.diff }));
      else if (r.ok) io.stderr.write(`repro-sources: ${flags.check}: matches a fresh resolution (${lockfile.packages.length} packages)\n`);
      else io.stdout.write(r.text);
      setExit(r.ok ? 0 : 1);
      return;
    }
    if (packages.length === 0) throw new UsageError('lock', 'name at least one package (or --check FILE)');
    const time = await chooseTime(flags, io, { distro, root: flags.root });
    const l = await lock({ packages, root: flags.root, distro, codename: flags.codename, id: time.id, architectures: flags.arch, snapshotBase });
    const bytes = serializeLockfile(l);
    if (flags.output === '-') io.stdout.write(bytes);
    else {
      const { writeFileAtomic } = await import('../../fs/atomic-write.js');
      await writeFileAtomic(resolve(io.cwd, flags.output ?? 'repro-sources.lock.json'), bytes);
      const ids = [...new Set(l.request.archives.map((a) => `${a.name} ${a.snapshot}`))].join(', ');
      io.stderr.write(`repro-sources: locked ${l.packages.length} packages (${l.packages.reduce((a, p) => a + p.size, 0)} bytes) at ${ids} in ${flags.output}\n`);
    }
    setExit(0);
  });
}
