import { chmod, lstat, stat, mkdir, mkdtemp, readFile, readdir, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, PROJECT_ROOT, runCli } from '../helpers/cli.js';

const FIX = join(PROJECT_ROOT, 'test/fixtures/sources');

async function makeRoot(files: Record<string, string | Buffer>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'rs-rw-'));
  for (const [p, content] of Object.entries(files)) {
    await mkdir(join(root, p, '..'), { recursive: true });
    await writeFile(join(root, p), content);
  }
  return root;
}

async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[p.slice(root.length)] = (await readFile(p)).toString('base64');
    }
  }
  await walk(root);
  return out;
}

const DEBIAN_OS = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const UBUNTU_OS = 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n';

describe('repro-sources rewrite FILE', () => {
  it('--stdout prints the exact expected bytes (CRLF, tabs, a latin-1 comment byte) and writes nothing', async () => {
    const file = join(FIX, 'edge-crlf-tabs/sources.list');
    const before = await readFile(file);
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/repro-sources.js'), 'rewrite', '--stdout', '--epoch', '1700000000', file], { env: cleanEnv() as NodeJS.ProcessEnv });
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).toBe('');
    expect(r.stdout.equals(await readFile(join(FIX, 'edge-crlf-tabs/expected/sources.list')))).toBe(true);
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it('--stdout keeps bytes that are not UTF-8 exactly', async () => {
    const root = await makeRoot({ 'x.list': Buffer.from('# caf\xe9\ndeb http://ftp.de.debian.org/debian sid main\n', 'latin1') });
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/repro-sources.js'), 'rewrite', '--stdout', '--epoch', '1700000000', join(root, 'x.list')], { env: cleanEnv() as NodeJS.ProcessEnv });
    expect(r.status).toBe(0);
    expect(r.stdout.equals(Buffer.from('# caf\xe9\ndeb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20231114T221320Z/ sid main\n', 'latin1'))).toBe(true);
  });

  it('rewrites in place, keeps mode, and reports what it left alone', async () => {
    const root = await makeRoot({ 'a.list': await readFile(join(FIX, 'ubuntu-hirsute-mixed/sources.list')) });
    const file = join(root, 'a.list');
    await chmod(file, 0o600);
    const r = await runCli(['rewrite', '--epoch', '1700000000', '--root', root, file]);
    expect(r).toEqual({
      code: 0,
      stdout: '',
      stderr:
        `repro-sources: ${file}:1: left as it is: http://us.archive.ubuntu.com/ubuntu/ hirsute (Ubuntu hirsute was retired before snapshot.ubuntu.com's first snapshot (20230301T000000Z))\n` +
        `repro-sources: ${file}:2: left as it is: http://security.ubuntu.com/ubuntu hirsute-security (Ubuntu hirsute was retired before snapshot.ubuntu.com's first snapshot (20230301T000000Z))\n` +
        'repro-sources: 20231114T221320Z: pinned 1 entry, 1 file changed\n',
    });
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toBe(
      'deb [arch=amd64,i386] http://us.archive.ubuntu.com/ubuntu/ hirsute main restricted\n' +
        'deb http://security.ubuntu.com/ubuntu hirsute-security main\n' +
        'deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20231114T221320Z/ sid main\n',
    );
    // --strict turns the unpinned entries into an error, before anything is written
    const again = await runCli(['rewrite', '--strict', '--snapshot', '20240101T000000Z', '--root', root, file]);
    expect(again).toEqual({
      code: 2,
      stdout: '',
      stderr: `repro-sources: ${file}:1: --strict: http://us.archive.ubuntu.com/ubuntu/ hirsute is not pinned (Ubuntu hirsute was retired before snapshot.ubuntu.com's first snapshot (20230301T000000Z)), and 1 more\n`,
    });
    expect(await readFile(file, 'utf8')).toContain('20231114T221320Z');
  });

  it('--dry-run prints a unified diff that git apply and patch -p1 take, and changes nothing', async () => {
    const root = await makeRoot({ 'd.sources': await readFile(join(FIX, 'debian-12-official/debian.sources')) });
    const file = join(root, 'd.sources');
    const r = await runCli(['rewrite', '--dry-run', '--epoch', '1700000000', 'd.sources'], { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`--- a/d.sources
+++ b/d.sources
@@ -1,13 +1,15 @@
 Types: deb
 # http://snapshot.debian.org/archive/debian/20250520T000000Z
-URIs: http://ftp.de.debian.org/debian
+URIs: http://snapshot.debian.org/archive/debian/20231114T221320Z/
+Check-Valid-Until: no
 Suites: bookworm bookworm-updates
 Components: main
 Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
 
 Types: deb
 # http://snapshot.debian.org/archive/debian-security/20250520T000000Z
-URIs: http://ftp.de.debian.org/debian-security
+URIs: http://snapshot.debian.org/archive/debian-security/20231114T221320Z/
+Check-Valid-Until: no
 Suites: bookworm-security
 Components: main
 Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`);
    expect(await readFile(file)).toEqual(await readFile(join(FIX, 'debian-12-official/debian.sources')));
    await writeFile(join(root, 'p.diff'), r.stdout);
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['apply', '--check', 'p.diff'], { cwd: root, stdio: 'pipe' });
    expect(execFileSync('patch', ['-p1', '--dry-run', '-i', 'p.diff'], { cwd: root }).toString()).toBe('checking file d.sources\n');
    // outside the working directory: the absolute path without its "/", applied from /
    const abs = await runCli(['rewrite', '--dry-run', '--epoch', '1700000000', file]);
    expect(abs.stdout.split('\n').slice(0, 2)).toEqual([`--- a/${file.slice(1)}`, `+++ b/${file.slice(1)}`]);
  });

  it('--dry-run marks a last line without a newline, as patch expects', async () => {
    const root = await makeRoot({ 'n.list': '# x\ndeb http://ftp.de.debian.org/debian sid main' });
    const r = await runCli(['rewrite', '--dry-run', '--epoch', '1700000000', 'n.list'], { cwd: root });
    expect(r.stdout).toBe(
      '--- a/n.list\n+++ b/n.list\n@@ -1,2 +1,2 @@\n # x\n-deb http://ftp.de.debian.org/debian sid main\n\\ No newline at end of file\n' +
        '+deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20231114T221320Z/ sid main\n\\ No newline at end of file\n',
    );
    await writeFile(join(root, 'p.diff'), r.stdout);
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['apply', '--check', 'p.diff'], { cwd: root, stdio: 'pipe' });
    execFileSync('patch', ['-p1', '--dry-run', '-i', 'p.diff'], { cwd: root, stdio: 'pipe' });
  });

  it('--json with --stdout carries the content; with --dry-run the diff', async () => {
    const file = join(FIX, 'debian-12-official/debian.sources');
    const r = await runCli(['rewrite', '--json', '--stdout', '--epoch', '1700000000', file]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect({ schemaVersion: doc.schemaVersion, mode: doc.mode, content: doc.content }).toEqual({ schemaVersion: 1, mode: 'stdout', content: await readFile(join(FIX, 'debian-12-official/expected/debian.sources'), 'utf8') });
    const d = JSON.parse((await runCli(['rewrite', '--json', '--dry-run', '--epoch', '1700000000', file])).stdout);
    expect(d.diff).toMatch(/^--- a\/.*debian\.sources\n\+\+\+ b\//);
    const latin1 = await makeRoot({ 'x.list': Buffer.from('# caf\xe9\ndeb http://ftp.de.debian.org/debian sid main\n', 'latin1') });
    const bad = await runCli(['rewrite', '--json', '--stdout', '--epoch', '1700000000', join(latin1, 'x.list')]);
    expect(bad).toEqual({ code: 2, stdout: '', stderr: `repro-sources: --json: ${join(latin1, 'x.list')} is not UTF-8 text, which JSON can't carry byte for byte; use --stdout without --json\n` });
  });

  it('without a time, named files take the newest of their mtimes (said on stderr), and a pinned file keeps its pin', async () => {
    const root = await makeRoot({
      'old.list': 'deb http://ftp.de.debian.org/debian bookworm main\n',
      'new.list': 'deb http://ftp.de.debian.org/debian-security bookworm-security main\n',
      'pinned.list': 'deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20200101T000000Z/ buster main\n',
    });
    await utimes(join(root, 'old.list'), 1600000000, 1600000000);
    await utimes(join(root, 'new.list'), 1709251200, 1709251200);
    await utimes(join(root, 'pinned.list'), 1650000000, 1650000000);
    const r = await runCli(['rewrite', '--stdout', join(root, 'old.list')], { env: cleanEnv({ SOURCE_DATE_EPOCH: '' }) });
    expect(r).toEqual({
      code: 0,
      stdout: 'deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20200913T122640Z/ bookworm main\n',
      stderr: `repro-sources: time: 20200913T122640Z (SOURCE_DATE_EPOCH=1600000000), the mtime of ${join(root, 'old.list')}\n`,
    });
    const all = await runCli(['rewrite', '--json', '--dry-run', join(root, 'old.list'), join(root, 'new.list'), join(root, 'pinned.list')]);
    expect(all.stderr).toBe(`repro-sources: time: 20240301T000000Z (SOURCE_DATE_EPOCH=1709251200), the mtime of ${join(root, 'new.list')}\n`);
    const doc = JSON.parse(all.stdout);
    expect(doc.files.map((f: { entries: { kind: string; newUri?: string }[] }) => `${f.entries[0]!.kind} ${f.entries[0]!.newUri ?? '-'}`)).toEqual([
      'pinned http://snapshot.debian.org/archive/debian/20240301T000000Z/',
      'pinned http://snapshot.debian.org/archive/debian-security/20240301T000000Z/',
      'unchanged -',
    ]);
  });

  it('restore of a file rewrite left unchanged is exit 0 and changes nothing', async () => {
    const root = await makeRoot({ 'etc/os-release': DEBIAN_OS, 'etc/apt/sources.list.d/vendor.list': 'deb https://download.docker.com/linux/debian bookworm stable\n', 'etc/apt/sources.list.d/empty.sources': '', 'etc/apt/sources.list.d/c.list': '# only a comment\n' });
    const before = await snapshotTree(root);
    expect((await runCli(['rewrite', '--root', root, '--epoch', '1700000000'], { env: cleanEnv({ KEEP_CACHE: '0' }) })).code).toBe(0);
    const files = ['vendor.list', 'empty.sources', 'c.list'].map((f) => join(root, 'etc/apt/sources.list.d', f));
    const r = await runCli(['restore', '--root', root, ...files]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: files.map((f) => `repro-sources: ${f}: unchanged\n`).join('') });
    expect((await runCli(['restore', '--root', root])).code).toBe(0);
    expect(await snapshotTree(root)).toEqual(before);
    const missing = await runCli(['restore', '--root', root, join(root, 'nope.list')]);
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${join(root, 'nope.list')}: no such file, and repro-sources has not rewritten it\n` });
  });

  it('--json is one document with every entry', async () => {
    const file = join(FIX, 'third-party/vendors.list');
    const r = await runCli(['rewrite', '--json', '--dry-run', '--epoch', '1700000000', file]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ id: '20231114T221320Z', epoch: 1700000000, dropIn: false, written: [] });
    expect(doc.files[0].entries.map((e: { kind: string; uri: string }) => `${e.kind} ${e.uri}`)).toEqual([
      'foreign https://download.docker.com/linux/debian',
      'foreign http://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu',
      'foreign http://www.deb-multimedia.org',
      'foreign file:/srv/local-repo',
    ]);
  });

  it('refuses an Ubuntu pin before snapshot.ubuntu.com began, changing nothing', async () => {
    const root = await makeRoot({ 'u.sources': await readFile(join(FIX, 'ubuntu-24.04-official/ubuntu.sources')) });
    const file = join(root, 'u.sources');
    const r = await runCli(['rewrite', '--epoch', '1234567890', file]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${file}:5: snapshot 20090213T233130Z is before the first snapshot of ubuntu (20230301T000000Z)\n` });
    expect(await readFile(file)).toEqual(await readFile(join(FIX, 'ubuntu-24.04-official/ubuntu.sources')));
  });

  it.each([
    ['an unclosed [', 'deb [arch=amd64 http://h/debian sid main\n', 'x.list', ":1:5: unclosed '[' in options"],
    ['NUL bytes', 'deb http://h/debian sid main\n\0\0', 'x.list', ':2: binary file (NUL byte): not a sources file'],
    ['a stanza without URIs', 'Types: deb\nSuites: sid\nComponents: main\n', 'x.sources', ':1: stanza without URIs'],
    ['an unknown Types value', 'Types: deb rpm\nURIs: http://h/debian\nSuites: sid\nComponents: main\n', 'x.sources', ':1: unknown Types value "rpm" (expected deb or deb-src)'],
  ])('refuses %s with file:line, exit 2, and leaves every file as it was', async (_what, bad, name, message) => {
    const good = await readFile(join(FIX, 'debian-11-official/sources.list'));
    const root = await makeRoot({ 'good.list': good, [name]: bad });
    const before = await snapshotTree(root);
    const r = await runCli(['rewrite', '--epoch', '1700000000', join(root, 'good.list'), join(root, name)]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${join(root, name)}${message}\n` });
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('refuses a 100 MB file without reading it', async () => {
    const root = await makeRoot({ 'big.list': '' });
    await truncate(join(root, 'big.list'), 100 * 1024 * 1024);
    const r = await runCli(['rewrite', '--epoch', '1700000000', join(root, 'big.list')]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${join(root, 'big.list')}: too large (104857600 bytes; a sources file is at most 16777216)\n` });
  });

  it('refuses a symlink that leaves the root', async () => {
    const outside = await makeRoot({ 'victim.list': 'deb http://ftp.de.debian.org/debian sid main\n' });
    const root = await makeRoot({ 'etc/os-release': DEBIAN_OS, 'etc/apt/sources.list.d/.keep': '' });
    await symlink(join(outside, 'victim.list'), join(root, 'etc/apt/sources.list.d/evil.list'));
    const r = await runCli(['rewrite', '--root', root, '--epoch', '1700000000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^repro-sources: .*evil\.list: a symlink that leaves the root \(.*victim\.list is outside .*\): refusing to follow it\n$/);
    expect(await readFile(join(outside, 'victim.list'), 'utf8')).toBe('deb http://ftp.de.debian.org/debian sid main\n');
  });
});

describe('repro-sources rewrite (drop-in for repro-sources-list.sh) and restore', () => {
  it('Debian: rewrites ROOT, keeps the apt cache, prints SOURCE_DATE_EPOCH, and restore gives back every byte', async () => {
    const sources = await readFile(join(FIX, 'debian-12-official/debian.sources'));
    const root = await makeRoot({
      'etc/os-release': DEBIAN_OS,
      'etc/apt/sources.list.d/debian.sources': sources,
      'etc/apt/apt.conf.d/docker-clean': 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };\n',
    });
    await utimes(join(root, 'etc/apt/sources.list.d/debian.sources'), 1700000000, 1700000000);
    const before = await snapshotTree(root);
    const out = join(root, 'epoch.txt');
    const r = await runCli(['rewrite', '--root', root], { env: cleanEnv({ WRITE_SOURCE_DATE_EPOCH: out }) });
    expect(r.stdout).toBe('SOURCE_DATE_EPOCH=1700000000\n');
    expect(r.stderr).toBe(
      `repro-sources: time: 20231114T221320Z (SOURCE_DATE_EPOCH=1700000000), the mtime of ${join(root, 'etc/apt/sources.list.d/debian.sources')}\n` +
        'repro-sources: 20231114T221320Z: pinned 2 entries, 1 file changed, also wrote /etc/apt/apt.conf.d/docker-clean, /etc/apt/apt.conf.d/keep-cache\n',
    );
    expect(r.code).toBe(0);
    // the rewritten file keeps its mtime: the drop-in run again finds the same time and changes nothing
    expect((await stat(join(root, 'etc/apt/sources.list.d/debian.sources'))).mtimeMs).toBe(1700000000_000);
    const again = await runCli(['rewrite', '--root', root], { env: cleanEnv({ WRITE_SOURCE_DATE_EPOCH: out }) });
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: 'SOURCE_DATE_EPOCH=1700000000\n' });
    expect(await readFile(join(root, 'etc/apt/sources.list.d/debian.sources'))).toEqual(await readFile(join(FIX, 'debian-12-official/expected/debian.sources')));
    expect(await readFile(out, 'utf8')).toBe('1700000000\n');
    expect(await readFile(join(root, 'etc/apt/sources.list.d/debian.sources'))).toEqual(await readFile(join(FIX, 'debian-12-official/expected/debian.sources')));
    expect(await readFile(join(root, 'etc/apt/apt.conf.d/keep-cache'), 'utf8')).toBe('Binary::apt::APT::Keep-Downloaded-Packages "true";\n');
    // a second rewrite to another id, then a third to the first again
    expect((await runCli(['rewrite', '--root', root, '--snapshot', '20240101T000000Z'])).code).toBe(0);
    expect((await runCli(['rewrite', '--root', root, '--epoch', '1700000000'])).code).toBe(0);
    const restored = await runCli(['restore', '--root', root]);
    expect(restored.code).toBe(0);
    expect((await stat(join(root, 'etc/apt/sources.list.d/debian.sources'))).mtimeMs).toBe(1700000000_000);
    await (await import('node:fs/promises')).rm(out);
    const after = await snapshotTree(root);
    expect(Object.keys(after).filter((k) => !k.startsWith('/var/lib/repro-sources'))).toEqual(Object.keys(before));
    for (const k of Object.keys(before)) expect(after[k]).toBe(before[k]);
  });

  it('Ubuntu without ca-certificates: writes a CA bundle apt verifies with instead of turning verification off', async () => {
    const root = await makeRoot({ 'etc/os-release': UBUNTU_OS, 'etc/apt/sources.list.d/ubuntu.sources': await readFile(join(FIX, 'ubuntu-24.04-official/ubuntu.sources')) });
    const r = await runCli(['rewrite', '--root', root, '--epoch', '1700000000'], { env: cleanEnv({ KEEP_CACHE: '0' }) });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('repro-sources: 20231114T221320Z: pinned 2 entries, 1 file changed, also wrote /etc/apt/repro-sources-ca.pem, /etc/apt/apt.conf.d/50repro-sources-ca\n');
    const conf = await readFile(join(root, 'etc/apt/apt.conf.d/50repro-sources-ca'), 'utf8');
    expect(conf).toContain('Acquire::https::CaInfo "/etc/apt/repro-sources-ca.pem";');
    expect(conf).not.toMatch(/Verify-Peer/i);
    const pem = await readFile(join(root, 'etc/apt/repro-sources-ca.pem'), 'utf8');
    expect(pem.match(/-----BEGIN CERTIFICATE-----/g)!.length).toBeGreaterThan(100);
    // with the system bundle present nothing extra is written
    const root2 = await makeRoot({ 'etc/os-release': UBUNTU_OS, 'etc/ssl/certs/ca-certificates.crt': pem, 'etc/apt/sources.list.d/ubuntu.sources': await readFile(join(FIX, 'ubuntu-24.04-official/ubuntu.sources')) });
    const r2 = await runCli(['rewrite', '--root', root2, '--epoch', '1700000000'], { env: cleanEnv({ KEEP_CACHE: '0' }) });
    expect(r2.stderr).toBe('repro-sources: 20231114T221320Z: pinned 2 entries, 1 file changed\n');
  });

  it.each([
    ['jammy (its os-release)', 'ID=ubuntu\nVERSION_CODENAME=jammy\n', undefined, 'ubuntu-24.04-official/ubuntu.sources', 'ubuntu.sources', '--native: ROOT is Ubuntu jammy: its apt (before 2.7) has no snapshot support; rewrite without --native'],
    ['apt 2.6 (its dpkg status)', 'ID=debian\nVERSION_CODENAME=trixie\n', '2.6.1', 'debian-13-official/debian.sources', 'debian.sources', '--native: ROOT has apt 2.6.1: apt before 2.7 ignores Snapshot: and snapshot=; rewrite without --native'],
  ])('--native on a root whose apt is older than 2.7 is refused: %s', async (_what, os, apt, fixture, name, message) => {
    const root = await makeRoot({
      'etc/os-release': os,
      [`etc/apt/sources.list.d/${name}`]: await readFile(join(FIX, fixture)),
      ...(apt ? { 'var/lib/dpkg/status': `Package: apt\nStatus: install ok installed\nVersion: ${apt}\n` } : {}),
    });
    const before = await snapshotTree(root);
    const r = await runCli(['rewrite', '--native', '--root', root, '--epoch', '1700000000']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${message.replace('ROOT', root)}\n` });
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('--native on named files of a release without apt snapshot support is refused', async () => {
    const root = await makeRoot({ 'd.sources': await readFile(join(FIX, 'debian-12-official/debian.sources')) });
    const r = await runCli(['rewrite', '--native', '--stdout', '--epoch', '1700000000', join(root, 'd.sources')]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `repro-sources: --native: ${join(root, 'd.sources')}:1: bookworm is a release whose apt has no snapshot support (apt 2.7 or newer needs it); rewrite without --native\n` });
  });

  it('restore refuses a file changed since the rewrite, and restores nothing then', async () => {
    const root = await makeRoot({ 'etc/os-release': DEBIAN_OS, 'etc/apt/sources.list': await readFile(join(FIX, 'debian-11-official/sources.list')) });
    expect((await runCli(['rewrite', '--root', root, '--epoch', '1700000000'], { env: cleanEnv({ KEEP_CACHE: '0' }) })).code).toBe(0);
    await writeFile(join(root, 'etc/apt/sources.list'), 'deb http://example.org/x sid main\n');
    const r = await runCli(['restore', '--root', root]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${join(root, 'etc/apt/sources.list')}: changed since repro-sources rewrote it: not restoring over those changes\n` });
  });
});
