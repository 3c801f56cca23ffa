import { join } from 'node:path';
import type { Command } from '../program.js';
import { jsonDocument } from '../json.js';
import { UsageError } from '../../errors.js';
import { addRootOption } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';

interface AuthFlags {
  username?: string;
  passwordStdin?: boolean;
  plainHttp?: boolean;
  json?: boolean;
}

function addAuth(cmd: Command): Command {
  return cmd
    .option('--username <name>', 'registry user (with --password-stdin); default: Docker config credentials')
    .option('--password-stdin', 'read the registry password from standard input')
    .option('--plain-http', 'talk plain HTTP to a registry that is not on loopback')
    .option('--json', 'print one JSON document instead of the summary');
}

async function readStdin(io: CliIo): Promise<string> {
  let s = '';
  for await (const c of io.stdin) s += typeof c === 'string' ? c : Buffer.from(c as Uint8Array).toString('utf8');
  return s.replace(/\r?\n$/, '');
}

async function open(ref: string, f: AuthFlags, io: CliIo) {
  const [{ parseReference }, { openStore }] = await Promise.all([import('../../oci/reference.js'), import('../../oci/store.js')]);
  const parsed = parseReference(ref, { plainHttp: f.plainHttp === true });
  if (f.passwordStdin && f.username === undefined) throw new UsageError('--password-stdin', 'needs --username');
  const password = f.passwordStdin ? await readStdin(io) : undefined;
  const store = await openStore(parsed, { ...(f.username !== undefined ? { username: f.username, password: password ?? '' } : {}), env: io.env });
  return { parsed, store };
}

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cache = program.command('cache').description('keep the exact .debs a build fetched in an OCI registry or layout, and restore them');

  const push = cache
    .command('push')
    .argument('[dir]', 'directory of .deb files (default: ROOT/var/cache/apt/archives)')
    .requiredOption('--to <ref>', 'oci://HOST[:PORT]/REPO[:TAG] or oci-layout:DIR[:TAG]')
    .option('--tag <tag>', 'tag (default: DISTRO-CODENAME-SNAPSHOT-ARCH, and latest is moved to it)')
    .option('--merge', 'add to the set the tag already holds')
    .option('--distro <d>', 'manifest annotation (default: from ROOT/etc/os-release)')
    .option('--codename <c>', 'manifest annotation (default: from ROOT/etc/os-release)')
    .option('--snapshot <id>', 'manifest annotation (default: the id of SOURCE_DATE_EPOCH)')
    .option('--arch <arch>', 'manifest annotation (default: the architecture of the packages)')
    .option('--lock <file>', 'first check that DIR holds exactly the files of this lock')
    .description('push the .debs of DIR and print the manifest digest');
  addAuth(push);
  addRootOption(push);
  push.action(async (dirArg: string | undefined, f: AuthFlags & { to: string; tag?: string; merge?: boolean; distro?: string; codename?: string; snapshot?: string; arch?: string; root: string; lock?: string }) => {
    const dir = dirArg ?? join(f.root, 'var/cache/apt/archives');
    if (f.lock !== undefined) await (await import('../lock-warm-push.js')).checkDirCli(dir, f.lock, io);
    const [{ pushDebs }, { moveTag, LATEST_TAG }, { readDistro }, { toSnapshotId, parseEpochString, isSnapshotId }, { progressBar, formatBytes }, { dpkgArchOf }, { readdir }, { parsed, store }] = await Promise.all([
      import('../../cache/push.js'),
      import('../../cache/tags.js'),
      import('../../rewrite/drop-in.js'),
      import('../../snapshot/id.js'),
      import('../progress.js'),
      import('../../apt/host-arch.js'),
      import('node:fs/promises'),
      open(f.to, f, io),
    ]);
    if (parsed.digest) throw new UsageError(f.to, 'push names a tag, not a digest');
    if (f.snapshot !== undefined && !isSnapshotId(f.snapshot)) throw new UsageError(`--snapshot ${f.snapshot}`, 'not a snapshot id (YYYYMMDDTHHMMSSZ)');
    const explicitTag = f.tag ?? parsed.tag;
    const epoch = io.env.SOURCE_DATE_EPOCH ? parseEpochString(io.env.SOURCE_DATE_EPOCH) : undefined;
    const os = await readDistro(f.root);
    const archs = (await readdir(dir).catch(() => [] as string[])).map((n) => /_([a-z0-9-]+)\.deb$/.exec(n)?.[1]).filter((a): a is string => a !== undefined && a !== 'all');
    const bar = progressBar(io, !f.json);
    try {
      const r = await pushDebs(dir, store, {
        tag: explicitTag,
        merge: f.merge,
        distro: f.distro ?? os.distro,
        codename: f.codename ?? os.codename,
        snapshot: f.snapshot ?? (epoch !== undefined ? toSnapshotId(epoch) : undefined),
        architecture: f.arch ?? archs[0] ?? dpkgArchOf(),
        created: epoch,
        onProgress: (p) => bar.update(p),
      });
      // the default tag names the set; latest follows it, so list and pull without a tag find it
      const also = explicitTag === undefined && r.tag !== LATEST_TAG ? [LATEST_TAG] : [];
      for (const t of also) await moveTag(store, r.digest, t);
      bar.done();
      if (f.json) io.stdout.write(jsonDocument({ ref: `${store.name}@${r.digest}`, ...r, alsoTagged: also }));
      else {
        io.stdout.write(`${r.digest}\n`);
        io.stderr.write(`repro-sources: pushed ${store.name}:${r.tag}${also.map((t) => ` (and :${t})`).join('')}: ${r.files} files, ${formatBytes(r.bytesSent)} sent, ${formatBytes(r.bytesSkipped)} skipped (already there), ${(r.ms / 1000).toFixed(1)} s\n`);
      }
    } finally {
      await store.close();
    }
    setExit(0);
  });

  const pull = cache
    .command('pull')
    .argument('<ref>', 'oci://HOST/REPO[:TAG|@sha256:DIGEST] or oci-layout:DIR[:TAG]')
    .option('--to <dir>', 'directory to restore into (default: ROOT/var/cache/apt/archives)')
    .description('restore a .deb set into DIR, every byte sha256-checked');
  addAuth(pull);
  addRootOption(pull);
  pull.action(async (ref: string, f: AuthFlags & { to?: string; root: string }) => {
    const to = f.to ?? join(f.root, 'var/cache/apt/archives');
    // the store's modules (undici) load while the pull's do
    const [{ pullDebs }, { progressBar, formatBytes }, { parsed, store }] = await Promise.all([import('../../cache/pull.js'), import('../progress.js'), open(ref, f, io)]);
    const bar = progressBar(io, !f.json);
    try {
      const r = await pullDebs(store, to, { tag: parsed.tag, digest: parsed.digest, onProgress: (p) => bar.update(p) });
      bar.done();
      if (f.json) io.stdout.write(jsonDocument(r));
      else io.stderr.write(`repro-sources: pulled ${store.name}@${r.digest}: ${r.files} files, ${formatBytes(r.bytesReceived)} received, ${formatBytes(r.bytesSkipped)} skipped (already there), ${(r.ms / 1000).toFixed(1)} s\n`);
    } finally {
      await store.close();
    }
    setExit(0);
  });

  const tags = cache.command('tags').argument('<ref>', 'oci://HOST/REPO or oci-layout:DIR').description('list the tags a repository or layout holds');
  addAuth(tags);
  tags.action(async (ref: string, f: AuthFlags) => {
    const { store } = await open(ref, f, io);
    try {
      const all = await store.listTags();
      if (f.json) io.stdout.write(jsonDocument({ ref: store.name, tags: all }));
      else for (const t of all) io.stdout.write(`${t}\n`);
    } finally {
      await store.close();
    }
    setExit(0);
  });

  const list = cache.command('list').argument('<ref>', 'oci://... or oci-layout:...').description('list the packages a set holds');
  addAuth(list);
  list.action(async (ref: string, f: AuthFlags) => {
    const [{ listDebs }, { parsed, store }] = await Promise.all([import('../../cache/list.js'), open(ref, f, io)]);
    try {
      const r = await listDebs(store, { tag: parsed.tag, digest: parsed.digest });
      if (f.json) io.stdout.write(jsonDocument(r));
      else for (const p of r.packages) io.stdout.write(`${p.package}\t${p.version}\t${p.architecture}\t${p.size}\t${p.digest}\n`);
    } finally {
      await store.close();
    }
    setExit(0);
  });
}
