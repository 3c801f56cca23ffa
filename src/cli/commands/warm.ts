import type { Command } from '../program.js';
import { jsonDocument } from '../json.js';
import { addTimeOptions, chooseTime, distroOption, parseDistro, type TimeFlags } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';

interface Flags extends TimeFlags {
  root?: string;
  distro?: string;
  codename?: string;
  arch?: string;
  snapshotBase?: string;
  to: string;
  tag?: string;
  json?: boolean;
  lock?: string;
}

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('warm')
    .argument('[pkg...]', 'packages to resolve, download and cache (with their dependencies)')
    .description("download a package set at a snapshot with this machine's apt (isolated state) and push it to a cache")
    .option('--root <dir>', "use this root's sources files, pinned to the snapshot")
    .addOption(distroOption())
    .option('--codename <name>', 'with --distro: generate the sources for this release')
    .option('--arch <arch>', 'architecture to download for (default: amd64)')
    .option('--snapshot-base <url>', 'snapshot service base URL')
    .requiredOption('--to <ref>', 'oci://HOST[:PORT]/REPO[:TAG] or oci-layout:DIR[:TAG]')
    .option('--tag <tag>', 'tag (default: DISTRO-CODENAME-SNAPSHOT-ARCH)')
    .option('--json', 'print one JSON document')
    .option('--lock <file>', 'push exactly the files of this lock (each checked against it) instead of resolving packages');
  addTimeOptions(cmd, { mtime: 'root' });
  cmd.action(async (packages: string[], flags: Flags) => {
    if (flags.lock !== undefined) {
      const { warmLockCli } = await import('../lock-warm-push.js');
      setExit(await warmLockCli(packages, flags.lock, { to: flags.to, tag: flags.tag, snapshotBase: flags.snapshotBase, json: flags.json === true }, io));
      return;
    }
    const [{ warm }, { parseReference }, { openStore }, { progressBar, formatBytes }] = await Promise.all([
      import('../../warm/warm.js'),
      import('../../oci/reference.js'),
      import('../../oci/store.js'),
      import('../progress.js'),
    ]);
    const distro = parseDistro(flags.distro);
    const time = await chooseTime(flags, io, { distro, root: flags.root });
    const ref = parseReference(flags.to);
    const store = await openStore(ref, { env: io.env });
    const bar = progressBar(io, !flags.json);
    try {
      const r = await warm({
        packages,
        root: flags.root,
        distro,
        codename: flags.codename,
        id: time.id,
        epoch: time.epoch,
        arch: flags.arch,
        snapshotBase: flags.snapshotBase ?? io.env.SNAPSHOT_ARCHIVE_BASE,
        store,
        tag: flags.tag ?? ref.tag,
        onStage: (s) => {
          if (!flags.json && io.stderr.isTTY) io.stderr.write(`\r\x1b[Krepro-sources: warm: ${s}...`);
        },
        onProgress: (p) => bar.update(p),
      });
      // as cache push: the default tag names the set, and latest follows it
      const also = (flags.tag ?? ref.tag) === undefined && r.tag !== 'latest' ? ['latest'] : [];
      if (also.length > 0) await (await import('../../cache/tags.js')).moveTag(store, r.digest, 'latest');
      bar.done();
      if (flags.json) io.stdout.write(jsonDocument({ ref: `${store.name}@${r.digest}`, ...r, alsoTagged: also }));
      else {
        io.stdout.write(`${r.digest}\n`);
        io.stderr.write(`\r\x1b[Krepro-sources: warmed ${store.name}:${r.tag}${also.map((t) => ` (and :${t})`).join('')} at ${time.id}: ${r.files} files, ${formatBytes(r.bytesSent)} sent, ${formatBytes(r.bytesSkipped)} skipped\n`.replace(/^\r\x1b\[K/, io.stderr.isTTY ? '\r\x1b[K' : ''));
      }
    } finally {
      await store.close();
    }
    setExit(0);
  });
}
