// `lock build-essential` against this machine's real bookworm main Packages index, served from a
// snapshot-shaped tree on loopback (re-signed with a throwaway key), as a ratio to what apt alone
// does for the same answer: `apt-get update` + `apt-get install --print-uris` in a fresh isolated
// state with the same sources and config (baseline A), and `install --print-uris` alone on a state
// already updated (baseline B). Whole processes, hyperfine medians, same run. Goal: <= 1.5x A.
//   npm run build && node bench/lock.mjs            (PKGS="build-essential" RUNS=9 to change)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hyperfine, ms } from './hyperfine.mjs';
import { createIsolatedApt, parsePrintUris } from '../dist/apt/isolated-apt.js';
import { renderSources } from '../dist/lock/sources.js';

const PKGS = (process.env.PKGS ?? 'build-essential').split(/\s+/).filter(Boolean);
const ID = '20240101T000000Z';
const lists = '/var/lib/apt/lists';
const src = readdirSync(lists).filter((f) => /_bookworm_main_binary-amd64_Packages(\.(lz4|zst|xz|gz))?$/.test(f)).map((f) => join(lists, f))[0];
if (!src) throw new Error('no bookworm main amd64 Packages in /var/lib/apt/lists: run apt-get update');
const work = mkdtempSync(join(tmpdir(), 'rs-bench-lock-'));
const run = (cmd, args, o = {}) => execFileSync(cmd, args, { maxBuffer: 1 << 30, ...o });

// the tree: <work>/srv/debian/<ID>/dists/bookworm/{InRelease,main/binary-amd64/Packages{,.gz}}
const top = join(work, 'srv/debian', ID);
const dist = join(top, 'dists/bookworm');
mkdirSync(join(dist, 'main/binary-amd64'), { recursive: true });
writeFileSync(join(dist, 'main/binary-amd64/Packages'), run('/usr/lib/apt/apt-helper', ['cat-file', src]));
run('gzip', ['-1k', join(dist, 'main/binary-amd64/Packages')]);
const gnupg = join(work, 'gnupg');
mkdirSync(gnupg, { mode: 0o700 });
const g = { env: { ...process.env, GNUPGHOME: gnupg } };
run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'bench <bench@example.invalid>', 'ed25519', 'sign', '2d'], { ...g, stdio: 'ignore' });
const keyring = join(work, 'keyring.gpg');
writeFileSync(keyring, run('gpg', ['--batch', '--export'], g));
writeFileSync(join(dist, 'Release'), run('apt-ftparchive', ['-o', 'APT::FTPArchive::Release::Suite=bookworm', '-o', 'APT::FTPArchive::Release::Codename=bookworm', '-o', 'APT::FTPArchive::Release::Architectures=amd64', '-o', 'APT::FTPArchive::Release::Components=main', 'release', 'dists/bookworm'], { cwd: top }));
run('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--clearsign', '-o', join(dist, 'InRelease'), join(dist, 'Release')], g);

// a static server in its own process (the benchmark below blocks this one)
const server = spawn('python3', ['-m', 'http.server', '--bind', '127.0.0.1', '0', '--directory', join(work, 'srv')], { stdio: ['ignore', 'pipe', 'ignore'] });
const port = await new Promise((resolve) => server.stdout.on('data', (d) => {
  const m = /port (\d+)/.exec(String(d));
  if (m) resolve(Number(m[1]));
}));
const base = `http://127.0.0.1:${port}/`;

try {
  const root = join(work, 'root');
  mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  writeFileSync(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  writeFileSync(join(root, 'etc/apt/sources.list.d/debian.sources'), `Types: deb\nURIs: http://ftp.de.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: ${keyring}\n`);
  // the baselines' apt: the state lock makes, with the same sources and config
  const sources = { 'lock.sources': renderSources([{ name: 'debian', snapshot: ID, url: `${base}debian/${ID}/`, suites: ['bookworm'], components: ['main'], signedBy: keyring }]) };
  const config = 'Acquire::GzipIndexes "false";';
  const fresh = await createIsolatedApt({ dir: join(work, 'apt-fresh'), sources, config });
  const updated = await createIsolatedApt({ dir: join(work, 'apt-updated'), sources, config });
  await updated.check(['update', '-q']);
  const uris = parsePrintUris((await updated.check(['install', '--print-uris', '-qq', '--no-install-recommends', '-y', ...PKGS])).stdout);
  const out = join(work, 'out.lock.json');
  const cli = join(import.meta.dirname, '../bin/repro-sources.js');
  const ours = `${process.execPath} ${cli} lock ${PKGS.join(' ')} --root ${root} --snapshot ${ID} --snapshot-base ${base} -o ${out}`;
  const aptA = `sh -c 'rm -rf ${fresh.listsDir} && mkdir -p ${fresh.listsDir}/partial && APT_CONFIG=${fresh.configFile} apt-get update -q >/dev/null && APT_CONFIG=${fresh.configFile} apt-get install --print-uris -qq --no-install-recommends -y ${PKGS.join(' ')} >/dev/null'`;
  const aptB = `sh -c 'APT_CONFIG=${updated.configFile} apt-get install --print-uris -qq --no-install-recommends -y ${PKGS.join(' ')} >/dev/null'`;
  run('sh', ['-c', ours.replace(/^(\S+) /, '"$1" ')], { env: { PATH: process.env.PATH } });
  const locked = JSON.parse(readFileSync(out, 'utf8')).packages;
  if (locked.length !== uris.length) throw new Error(`lock holds ${locked.length} packages, apt prints ${uris.length}`);
  const [a, b, o] = hyperfine([aptA, aptB, ours], { warmup: 1, runs: Number(process.env.RUNS ?? 9) });
  console.log(`${PKGS.join(' ')}: ${locked.length} packages, ${(locked.reduce((s, p) => s + p.size, 0) / 1e6).toFixed(1)} MB; index ${(statSync(join(dist, 'main/binary-amd64/Packages')).size / 1e6).toFixed(1)} MB`);
  console.log('| command | median | ratio to A |');
  console.log('|---|---|---|');
  console.log(`| A: apt-get update + install --print-uris, fresh isolated state (baseline) | ${ms(a.median)} | 1.00x |`);
  console.log(`| B: apt-get install --print-uris alone, state already updated | ${ms(b.median)} | ${(b.median / a.median).toFixed(2)}x |`);
  console.log(`| repro-sources lock (node ${process.version}) | ${ms(o.median)} | ${(o.median / a.median).toFixed(2)}x |`);
} finally {
  server.kill();
  rmSync(work, { recursive: true, force: true });
}
