/**
 * Golden tests of the built CLI: for every command's main paths and error paths, the exact
 * stdout, stderr and exit code, kept in test/golden/*.txt. What varies between runs is replaced
 * before comparing: the work directory (<W>), the local servers' ports (<PORT>), durations.
 * Regenerate after a deliberate change with UPDATE_GOLDEN=1 npx vitest run test/cli/golden.test.ts,
 * and read the diff.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedArchive, debianSources, type SignedArchive } from '../helpers/archive.js';
import { bookwormSnapshots, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { cleanEnv, PROJECT_ROOT, runCli } from '../helpers/cli.js';

const GOLDEN = join(PROJECT_ROOT, 'test/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const FIX = join(PROJECT_ROOT, 'test/fixtures/sources');
const LONG_AGO = ['--max-staleness', String(10 * 365 * 86400)];

let W: string;
let probeServer: SnapshotServer;
let archive: SignedArchive;
let archiveServer: SnapshotServer;

interface Case {
  name: string;
  args: () => string[];
  env?: Record<string, string>;
  cwd?: () => string;
  /** The .debs are built at test time (their bytes, so their digests and sizes, differ between runs). */
  digestsVary?: boolean;
}

const DEBIAN_OS = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';

beforeAll(async () => {
  W = await mkdtemp(join(tmpdir(), 'rs-golden-'));
  probeServer = await startSnapshotServer({ files: bookwormSnapshots() });
  archive = await buildSignedArchive();
  archiveServer = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  const put = async (p: string, content: string | Buffer, mtime?: number): Promise<void> => {
    await mkdir(join(W, p, '..'), { recursive: true });
    await writeFile(join(W, p), content);
    if (mtime !== undefined) await utimes(join(W, p), mtime, mtime);
  };
  await put('root/etc/os-release', DEBIAN_OS);
  await put('root/etc/apt/sources.list.d/debian.sources', await readFile(join(FIX, 'debian-12-official/debian.sources')), 1709251200);
  await put('root/etc/apt/sources.list.d/vendor.list', 'deb https://download.docker.com/linux/debian bookworm stable\n');
  await put('files/debian.sources', await readFile(join(FIX, 'debian-12-official/debian.sources')), 1709251200);
  await put('files/bad.sources', 'Types: deb\nSuites: sid\nComponents: main\n');
  await put('files/nosuch.list', 'deb http://ftp.de.debian.org/debian nosuch main\n');
  await put('files/bookworm.list', 'deb http://ftp.de.debian.org/debian bookworm main\n');
  await put('files/test-archive.sources', debianSources(archive.keyring).replaceAll(archive.keyring, '/usr/share/keyrings/test.gpg'));
  // the cache commands move bytes, not packages: fixed bytes give fixed digests
  await put('debs/hello_1.0-1_amd64.deb', 'not really a deb: hello\n');
  await put('debs/libhello1_1%3a1.0-1_amd64.deb', 'not really a deb: libhello1\n');
  await put('empty-root/.keep', '');
  await put(
    'bump/Dockerfile',
    'ARG SOURCE_DATE_EPOCH=1704110400\nFROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends hello && rm -rf /var/lib/apt/lists/*\n',
  );
  await put('bump-scratch/Dockerfile', 'FROM scratch\nARG SOURCE_DATE_EPOCH=1704110400\n');
  await mkdir(join(W, 'cache-root/var/cache/apt/archives'), { recursive: true });
  await writeFile(join(W, 'cache-root/var/cache/apt/archives/tool_1.0_amd64.deb'), 'not really a deb: tool\n');
  await put('cache-root/etc/os-release', DEBIAN_OS);
  await put('warm-root/etc/os-release', DEBIAN_OS);
  await put('warm-root/etc/apt/sources.list.d/debian.sources', debianSources(archive.keyring));
});

afterAll(async () => {
  await probeServer.stop();
  await archiveServer.stop();
  await rm(W, { recursive: true, force: true });
  await rm(archive.root, { recursive: true, force: true });
});

function normalize(text: string): string {
  let t = text.replaceAll(W, '<W>').replaceAll(archive.root, '<ARCHIVE>').replaceAll(PROJECT_ROOT.replace(/\/$/, ''), '<PROJECT>');
  t = t.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<PORT>');
  t = t.replace(/"(ms|elapsedMs|latencyMs)": \d+/g, '"$1": <N>');
  t = t.replace(/after now, \d{8}T\d{6}Z/g, 'after now, <NOW>');
  t = t.replace(/ in \d+ ms/g, ' in <N> ms').replace(/, \d+\.\d s\n/g, ', <N> s\n');
  return t;
}

const P = (): string => probeServer.debianBase;
const A = (): string => archiveServer.debianBase;

const CASES: Case[] = [
  // snapshot
  { name: 'snapshot', args: () => ['snapshot', '--epoch', '1700000000'] },
  { name: 'snapshot-json', args: () => ['snapshot', '--date', '2024-03-01', '--json', '--distro', 'ubuntu'] },
  { name: 'snapshot-mtime', args: () => ['snapshot', '--root', join(W, 'root')], env: { SOURCE_DATE_EPOCH: '' } },
  { name: 'snapshot-no-time', args: () => ['snapshot', '--root', join(W, 'empty-root')] },
  { name: 'snapshot-bad-epoch', args: () => ['snapshot'], env: { SOURCE_DATE_EPOCH: '17e8' } },
  { name: 'snapshot-future', args: () => ['snapshot', '--epoch', '9999999999'] },
  // generate
  { name: 'generate-debian', args: () => ['generate', '--distro', 'debian', '--codename', 'bookworm', '--epoch', '1700000000'] },
  { name: 'generate-ubuntu-one-line', args: () => ['generate', '--distro', 'ubuntu', '--codename', 'noble', '--format', 'one-line', '--arch', 'amd64,arm64', '--epoch', '1700000000'] },
  { name: 'generate-bogus-codename', args: () => ['generate', '--distro', 'debian', '--codename', 'bogus', '--epoch', '1700000000'] },
  { name: 'generate-no-distro', args: () => ['generate', '--codename', 'bookworm'] },
  // rewrite
  { name: 'rewrite-stdout', args: () => ['rewrite', '--stdout', '--epoch', '1700000000', join(W, 'files/debian.sources')] },
  { name: 'rewrite-stdout-mtime', args: () => ['rewrite', '--stdout', join(W, 'files/debian.sources')] },
  { name: 'rewrite-dry-run', args: () => ['rewrite', '--dry-run', '--epoch', '1700000000', 'files/debian.sources'], cwd: () => W },
  { name: 'rewrite-json-stdout', args: () => ['rewrite', '--json', '--stdout', '--epoch', '1700000000', join(W, 'files/bookworm.list')] },
  { name: 'rewrite-drop-in', args: () => ['rewrite', '--root', join(W, 'root')] },
  { name: 'rewrite-drop-in-again', args: () => ['rewrite', '--root', join(W, 'root')] },
  { name: 'rewrite-bad-file', args: () => ['rewrite', '--epoch', '1700000000', join(W, 'files/bad.sources')] },
  { name: 'rewrite-stdout-two-files', args: () => ['rewrite', '--stdout', '--epoch', '1700000000', join(W, 'files/bad.sources'), join(W, 'files/debian.sources')] },
  { name: 'rewrite-native-bookworm', args: () => ['rewrite', '--native', '--stdout', '--epoch', '1700000000', join(W, 'files/debian.sources')] },
  // restore (after rewrite-drop-in)
  { name: 'restore-unchanged-file', args: () => ['restore', '--root', join(W, 'root'), join(W, 'root/etc/apt/sources.list.d/vendor.list')] },
  { name: 'restore-json', args: () => ['restore', '--json', '--root', join(W, 'root')] },
  { name: 'restore-missing-file', args: () => ['restore', '--root', join(W, 'root'), join(W, 'root/nope.list')] },
  // probe and resolve
  { name: 'probe-json', args: () => ['probe', '--json', '--snapshot-base', P(), '--snapshot', '20231114T221320Z', join(W, 'files/bookworm.list')] },
  { name: 'probe-unknown-suite', args: () => ['probe', '--retries', '0', '--json', '--snapshot-base', P(), '--snapshot', '20231114T221320Z', join(W, 'files/nosuch.list')] },
  { name: 'probe-bad-staleness', args: () => ['probe', '--max-staleness', 'soon', '--epoch', '1700000000', join(W, 'files/bookworm.list')] },
  { name: 'resolve-json', args: () => ['resolve', '--json', '--snapshot-base', P(), '--epoch', '1700000000'] },
  { name: 'resolve', args: () => ['resolve', '--snapshot-base', P(), '--epoch', '1700000000'] },
  { name: 'resolve-none', args: () => ['resolve', '--retries', '0', '--snapshot-base', P(), '--date', '2020-01-01'] },
  // cache
  { name: 'cache-push-layout', args: () => ['cache', 'push', join(W, 'debs'), '--to', `oci-layout:${join(W, 'layout')}`, '--root', join(W, 'cache-root'), '--snapshot', '20231114T221320Z', '--arch', 'amd64'], env: { SOURCE_DATE_EPOCH: '1700000000' } },
  { name: 'cache-push-root-default-dir', args: () => ['cache', 'push', '--json', '--to', `oci-layout:${join(W, 'layout2')}`, '--root', join(W, 'cache-root')], env: { SOURCE_DATE_EPOCH: '1700000000' } },
  { name: 'cache-tags', args: () => ['cache', 'tags', `oci-layout:${join(W, 'layout')}`] },
  { name: 'cache-tags-json', args: () => ['cache', 'tags', '--json', `oci-layout:${join(W, 'layout')}`] },
  { name: 'cache-list-latest', args: () => ['cache', 'list', `oci-layout:${join(W, 'layout')}`] },
  { name: 'cache-list-json', args: () => ['cache', 'list', '--json', `oci-layout:${join(W, 'layout')}:debian-bookworm-20231114T221320Z-amd64`] },
  { name: 'cache-pull', args: () => ['cache', 'pull', `oci-layout:${join(W, 'layout')}`, '--to', join(W, 'pulled')] },
  { name: 'cache-pull-unknown-tag', args: () => ['cache', 'pull', `oci-layout:${join(W, 'layout')}:nope`, '--to', join(W, 'pulled2')] },
  { name: 'cache-push-digest-ref', args: () => ['cache', 'push', join(W, 'debs'), '--to', `oci-layout:${join(W, 'layout')}@sha256:${'0'.repeat(64)}`] },
  { name: 'cache-bad-ref', args: () => ['cache', 'list', 'registry.example/deb'] },
  // warm runs this machine's apt-get with a state of its own against the signed test archive
  { name: 'warm', args: () => ['warm', 'hello', '--root', join(W, 'warm-root'), '--snapshot-base', A(), '--to', `oci-layout:${join(W, 'warm-layout')}`], env: { SOURCE_DATE_EPOCH: '1705276800' }, digestsVary: true },
  { name: 'warm-json', args: () => ['warm', 'hello', '--json', '--root', join(W, 'warm-root'), '--snapshot-base', A(), '--to', `oci-layout:${join(W, 'warm-layout')}`], env: { SOURCE_DATE_EPOCH: '1705276800' }, digestsVary: true },
  { name: 'warm-no-packages', args: () => ['warm', '--to', `oci-layout:${join(W, 'layout3')}`, '--distro', 'debian', '--codename', 'bookworm', '--epoch', '1700000000'] },
  { name: 'lock', args: () => ['lock', 'hello', '--root', join(W, 'warm-root'), '--snapshot-base', A(), '--epoch', '1705276800', '-o', join(W, 'golden.lock.json')], digestsVary: true },
  { name: 'lock-check', args: () => ['lock', '--check', join(W, 'golden.lock.json')], digestsVary: true },
  { name: 'lock-no-packages', args: () => ['lock', '--root', join(W, 'warm-root'), '--epoch', '1705276800'] },
  { name: 'fetch', args: () => ['fetch', join(W, 'golden.lock.json'), '--to', join(W, 'fetched')], digestsVary: true },
  { name: 'fetch-missing-lock', args: () => ['fetch', join(W, 'nope.lock.json'), '--to', join(W, 'fetched')] },
  { name: 'sbom', args: () => ['sbom', join(W, 'golden.lock.json')], digestsVary: true },
  { name: 'sbom-not-a-lock', args: () => ['sbom', join(W, 'files/bad.sources')] },
  { name: 'serve', args: () => ['serve', '--listen', '127.0.0.1:0', '--upstream', A(), '--keyring', archive.keyring, '--cache', `oci-layout:${join(W, 'serve-layout')}`] },
  { name: 'serve-bad-cache', args: () => ['serve', '--cache', 'registry.example/deb'] },
  // diff and bump, against the signed test archive
  { name: 'diff', args: () => ['diff', join(W, 'files/test-archive.sources'), '--from', '20240101T120000Z', '--to', '20240215T000000Z', '--snapshot-base', A()] },
  { name: 'diff-no-files', args: () => ['diff', '--from', '20240101T120000Z', '--to', 'latest'] },
  { name: 'bump-dockerfile-alone', args: () => ['bump', '--dry-run', join(W, 'bump/Dockerfile'), '--snapshot-base', A(), ...LONG_AGO] },
  { name: 'bump-dockerfile-json', args: () => ['bump', '--dry-run', '--json', join(W, 'bump/Dockerfile'), '--snapshot-base', A(), ...LONG_AGO] },
  { name: 'bump-no-release', args: () => ['bump', join(W, 'bump-scratch/Dockerfile'), '--snapshot-base', A()] },
  // usage
  { name: 'usage-unknown-option', args: () => ['snapshot', '--nope'] },
  { name: 'usage-unknown-command', args: () => ['nope'] },
  { name: 'usage-unknown-cache-command', args: () => ['cache', 'nope'] },
  { name: 'usage-missing-argument', args: () => ['sbom'] },
  { name: 'usage-too-many-arguments', args: () => ['snapshot', 'extra'] },
  { name: 'usage-invalid-choice', args: () => ['snapshot', '--distro', 'arch'] },
  { name: 'usage-missing-required-option', args: () => ['cache', 'push'] },
  { name: 'usage-conflicting-options', args: () => ['rewrite', '--stdout', '--dry-run', 'x.sources'] },
  { name: 'usage-option-missing-value', args: () => ['snapshot', '--epoch'] },
  // help and version: the text the parser lays out (80 columns: stdout is a pipe here)
  { name: 'usage-bare', args: () => [] },
  { name: 'usage-bare-cache', args: () => ['cache'] },
  { name: 'usage-version', args: () => ['--version'] },
  { name: 'usage-help', args: () => ['--help'] },
  { name: 'usage-help-command-snapshot', args: () => ['help', 'snapshot'] },
  ...['snapshot', 'generate', 'rewrite', 'restore', 'probe', 'resolve', 'cache', 'cache push', 'cache pull', 'cache tags', 'cache list', 'warm', 'serve', 'diff', 'bump', 'lock', 'fetch', 'sbom'].map(
    (c): Case => ({ name: `usage-help-${c.replace(' ', '-')}`, args: () => [...c.split(' '), '--help'] }),
  ),
];

/** serve until it says where, one request through it, then SIGTERM: what a service manager sees. */
async function serveSession(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/repro-sources.js'), ...args], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /serving on (\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
  });
  const res = await fetch(`${url}debian/20240101T000000Z/dists/bookworm/InRelease`);
  stdout += `(test) GET debian/20240101T000000Z/dists/bookworm/InRelease: ${res.status}\n`;
  await res.arrayBuffer();
  const code = await new Promise<number>((resolve) => {
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
    child.kill('SIGTERM');
  });
  return { code, stdout, stderr };
}

describe('golden: the built CLI, byte for byte', () => {
  it('every command has a golden case', async () => {
    const { COMMAND_NAMES } = await import('../../src/cli/commands/index.js');
    for (const c of COMMAND_NAMES) expect(CASES.some((k) => k.name.startsWith(`${c}-`) || k.name === c), c).toBe(true);
  });

  // in order: restore follows the drop-in rewrite, list and pull follow push
  for (const c of CASES) {
    it(c.name, async () => {
      const args = c.args();
      const r = c.name === 'serve' ? await serveSession(args) : await runCli(args, { env: cleanEnv(c.env ?? {}), ...(c.cwd ? { cwd: c.cwd() } : {}) });
      let text = normalize(`$ repro-sources ${args.join(' ')}\nexit: ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`);
      // compressed with their build time inside: the digests, and the sizes by a byte or two
      if (c.digestsVary) text = text.replace(/(sha256:)?\b[0-9a-f]{64}\b/g, '$1<DIGEST>').replace(/"(bytes\w+|size)": [1-9]\d*/g, '"$1": <N>').replace(/\b\d+(\.\d+)? (k?B|KiB|MB)\b/g, '<N> $2').replace(/\(\d+ bytes\)/g, '(<N> bytes)').replace(/("repro-sources:size",\s*"value": ")\d+"/g, '$1<N>"');
      const file = join(GOLDEN, `${c.name}.txt`);
      if (UPDATE || !existsSync(file)) {
        if (!UPDATE) throw new Error(`${file} is missing: run with UPDATE_GOLDEN=1`);
        await mkdir(GOLDEN, { recursive: true });
        await writeFile(file, text);
      }
      expect(text).toBe(await readFile(file, 'utf8'));
    });
  }
});
