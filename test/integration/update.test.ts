import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bumpDockerfile, findDockerfilePins } from '../../src/update/pins.js';
import { compareVersions } from '../../src/update/packages-diff.js';
import { diffSnapshots } from '../../src/update/diff.js';
import { buildSignedArchive, debianSources, type SignedArchive } from '../helpers/archive.js';
import { startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { cleanEnv, PROJECT_ROOT, runCli } from '../helpers/cli.js';

let archive: SignedArchive;
let server: SnapshotServer;
let work: string;
let sourcesFile: string;

beforeAll(async () => {
  archive = await buildSignedArchive();
  server = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  work = await mkdtemp(join(tmpdir(), 'rs-update-'));
  sourcesFile = join(work, 'debian.sources');
  await writeFile(sourcesFile, debianSources(archive.keyring));
  // pinned as rewrite writes it, at the first snapshots
  // --root: the originals rewrite keeps for restore go under the test's own directory
  const r = await runCli(['rewrite', '--root', work, '--snapshot-base', server.debianBase, '--snapshot', '20240101T120000Z', sourcesFile]);
  expect(r.code).toBe(0);
});
afterAll(async () => {
  await server.stop();
  await rm(work, { recursive: true, force: true });
  await rm(archive.root, { recursive: true, force: true });
});

describe('pins and versions', () => {
  it('finds ARG and ENV pins in a multi-stage CRLF Dockerfile and changes only their digits', async () => {
    const text = await readFile(join(PROJECT_ROOT, 'test/fixtures/dockerfiles/Dockerfile.multistage-crlf'), 'latin1');
    expect(findDockerfilePins(text).map((p) => [p.line, p.keyword, p.epoch])).toEqual([[2, 'ARG', 1704067200], [6, 'ENV', 1704067200], [11, 'ENV', 1704067200]]);
    const out = bumpDockerfile(text, 1706745600).text;
    expect(out).toBe(text.replaceAll('1704067200', '1706745600'));
    expect(out.split('\r\n').length).toBe(text.split('\r\n').length);
  });

  it.each([
    ['1.0-1', '2.0-1', -1], ['1:1.0', '2.0', 1], ['1.0~rc1', '1.0', -1], ['1.0', '1.0+b1', -1], ['3.0.11-1~deb12u1', '3.0.11-1~deb12u2', -1],
    ['2.10-3', '2.9-1', 1], ['1.0a', '1.0', 1], ['1.0', '1.0', 0],
  ])('compareVersions(%s, %s) = %i', (a, b, r) => {
    expect(compareVersions(a as string, b as string)).toBe(r);
  });
});

describe('diff', () => {
  it('says what the newer snapshot changes, per archive, security changes apart', async () => {
    const r = await diffSnapshots({ files: [{ path: sourcesFile, content: await readFile(sourcesFile) }], from: '20240101T120000Z', to: '20240215T000000Z', snapshotBase: server.debianBase });
    expect(r.archives).toEqual([
      {
        archive: 'debian',
        from: '20240101T000000Z',
        to: '20240201T000000Z',
        changed: [{ package: 'hello', architecture: 'amd64', from: '1.0-1', to: '2.0-1' }],
        added: [{ package: 'newpkg', architecture: 'amd64', version: '0.1-1' }],
        removed: [{ package: 'tool', architecture: 'amd64', version: '1:3.1-2' }],
      },
      {
        archive: 'debian-security',
        from: '20240101T120000Z',
        to: '20240201T120000Z',
        changed: [{ package: 'libssl-test', architecture: 'amd64', from: '3.0.11-1~deb12u1', to: '3.0.11-1~deb12u2' }],
        added: [],
        removed: [],
      },
    ]);
    expect(r.security).toEqual([{ package: 'libssl-test', architecture: 'amd64', from: '3.0.11-1~deb12u1', to: '3.0.11-1~deb12u2', archive: 'debian-security' }]);
  });

  it('asks for the exact ids of every archive at both ends at once, not one after another', async () => {
    // a relay in front of the server that holds each answer to a snapshot directory for 200 ms
    let inFlight = 0;
    let most = 0;
    const relay: Server = createServer((req, res) => {
      const resolving = /^\/archive\/[a-z-]+\/\d{8}T\d{6}Z\/$/.test(req.url!);
      if (resolving) most = Math.max(most, ++inFlight);
      const up = new URL(server.url);
      const fwd = request({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers }, (a) => {
        setTimeout(() => {
          if (resolving) inFlight--;
          res.writeHead(a.statusCode!, a.headers);
          a.pipe(res);
        }, resolving ? 200 : 0);
      });
      req.pipe(fwd);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    try {
      const r = await diffSnapshots({ files: [{ path: sourcesFile, content: await readFile(sourcesFile) }], from: '20240101T120000Z', to: '20240215T000000Z', snapshotBase: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/archive/` });
      expect({ archives: r.archives.map((a) => `${a.archive} ${a.from} ${a.to}`), most }).toEqual({
        archives: ['debian 20240101T000000Z 20240201T000000Z', 'debian-security 20240101T120000Z 20240201T120000Z'],
        most: 4,
      });
    } finally {
      relay.closeAllConnections();
      relay.close();
    }
  });

  it('CLI: --to latest, --packages, --json', async () => {
    const r = await runCli(['diff', sourcesFile, '--from', '20240101T120000Z', '--to', 'latest', '--packages', 'hello,libhello1', '--snapshot-base', server.debianBase, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.packagesConsidered).toBe(2);
    expect(doc.archives.map((a: { archive: string; to: string; changed: unknown[]; added: unknown[] }) => [a.archive, a.to, a.changed.length, a.added.length])).toEqual([
      ['debian', '20240201T000000Z', 1, 0],
      ['debian-security', '20240201T120000Z', 0, 0],
    ]);
    const human = await runCli(['diff', sourcesFile, '--from', '20240101T120000Z', '--to', '1707955200', '--snapshot-base', server.debianBase]);
    expect(human.stdout).toBe(
      'debian 20240101T000000Z -> 20240201T000000Z: 1 changed, 1 added, 1 removed\n' +
        '  ~ hello amd64 1.0-1 -> 2.0-1\n  + newpkg amd64 0.1-1\n  - tool amd64 1:3.1-2\n' +
        'debian-security 20240101T120000Z -> 20240201T120000Z: 1 changed, 0 added, 0 removed\n' +
        '  ~ libssl-test amd64 3.0.11-1~deb12u1 -> 3.0.11-1~deb12u2 (security)\n',
    );
  });

  it('refuses an index whose bytes do not match its Release', async () => {
    const idx = join(archive.root, 'debian/20240201T000000Z/dists/bookworm/main/binary-amd64/Packages.gz');
    const saved = join(work, 'Packages.gz.saved');
    await copyFile(idx, saved);
    const { gzipSync } = await import('node:zlib');
    await writeFile(idx, gzipSync('Package: evil\nVersion: 9\nArchitecture: amd64\n'));
    const r = await runCli(['diff', sourcesFile, '--from', '20240101T120000Z', '--to', '20240201T000000Z', '--snapshot-base', server.debianBase]);
    await copyFile(saved, idx);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Packages\.gz: digest mismatch: expected sha256:[0-9a-f]{64} \(\d+ bytes, from the Release\), got sha256:/);
  });
});

describe('bump', () => {
  it('moves Dockerfile and sources pins to the newest snapshot, prints a PR body, and is a no-op the second time', async () => {
    const dockerfile = join(work, 'Dockerfile');
    await copyFile(join(PROJECT_ROOT, 'test/fixtures/dockerfiles/Dockerfile.multistage-crlf'), dockerfile);
    const before = await readFile(dockerfile, 'latin1');
    // the test archive's newest snapshot is from 2024: far older than now, which bump refuses by default
    const stale = await runCli(['bump', dockerfile, sourcesFile, '--snapshot-base', server.debianBase]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^repro-sources: http:\/\/127\.0\.0\.1:\d+\/archive\/debian\/: the snapshot reached, 20240201T000000Z, is \d+ h older than the time asked \(\d{8}T\d{6}Z\); has the mirror stopped importing\? \(--max-staleness 172800\)\n$/);
    expect(await readFile(dockerfile, 'latin1')).toBe(before);
    const ok = ['--max-staleness', String(10 * 365 * 86400)];
    const dry = await runCli(['bump', dockerfile, sourcesFile, '--dry-run', '--snapshot-base', server.debianBase, ...ok]);
    expect(dry.code).toBe(0);
    expect(await readFile(dockerfile, 'latin1')).toBe(before);
    const r = await runCli(['bump', dockerfile, sourcesFile, '--snapshot-base', server.debianBase, ...ok], { env: cleanEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(dry.stdout);
    expect(r.stdout.split('\n').slice(0, 8)).toEqual([
      '## Bump the apt snapshot from 20240101T000000Z to 20240201T000000Z',
      '',
      'SOURCE_DATE_EPOCH=1706745600',
      '',
      '| file | pins | from | to |',
      '|---|---|---|---|',
      `| ${dockerfile} | 3 | 20240101T000000Z | 20240201T000000Z |`,
      `| ${sourcesFile} | 2 | 20240101T120000Z | 20240201T000000Z |`,
    ]);
    expect(r.stdout).toContain('- hello 1.0-1 -> 2.0-1 (amd64)');
    expect(await readFile(dockerfile, 'latin1')).toBe(before.replaceAll('1704067200', '1706745600'));
    expect(await readFile(sourcesFile, 'utf8')).toContain(`URIs: ${server.debianBase}debian/20240201T000000Z/`);
    const again = await runCli(['bump', dockerfile, sourcesFile, '--snapshot-base', server.debianBase, ...ok]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already at this snapshot: nothing to change.');
  });

  it('a Dockerfile alone: the release comes from FROM, the packages from its apt-get install lines and --packages', async () => {
    const dockerfile = join(work, 'Dockerfile.alone');
    const text = [
      'ARG BASE=debian:bookworm-slim',
      'ARG SOURCE_DATE_EPOCH=1704110400',
      'FROM ${BASE}',
      'RUN apt-get update && \\',
      '    apt-get install -y --no-install-recommends hello=1.0-1 && rm -rf /var/lib/apt/lists/*',
      '',
    ].join('\n');
    await writeFile(dockerfile, text);
    const ok = ['--snapshot-base', server.debianBase, '--max-staleness', String(10 * 365 * 86400)];
    const r = await runCli(['bump', dockerfile, ...ok, '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe([
      '## Bump the apt snapshot from 20240101T120000Z to 20240201T000000Z',
      '',
      'SOURCE_DATE_EPOCH=1706745600',
      '',
      `Packages of debian bookworm (from the FROM of ${dockerfile}): hello`,
      '',
      '| file | pins | from | to |',
      '|---|---|---|---|',
      `| ${dockerfile} | 1 | 20240101T120000Z | 20240201T000000Z |`,
      '',
      '### What changes',
      '',
      '**debian** 20240101T000000Z → 20240201T000000Z: 1 upgraded, 0 added, 0 removed',
      '- hello 1.0-1 -> 2.0-1 (amd64)',
      '',
      '**debian-security** 20240101T120000Z → 20240101T120000Z: 0 upgraded, 0 added, 0 removed',
      '',
    ].join('\n'));
    const json = JSON.parse((await runCli(['bump', dockerfile, ...ok, '--dry-run', '--packages', 'libssl-test', '--json'])).stdout);
    expect(json.schemaVersion).toBe(1);
    expect(json.release).toEqual({ distro: 'debian', codename: 'bookworm', from: dockerfile });
    expect(json.packages).toEqual(['hello', 'libssl-test']);
    expect(json.diff.packagesConsidered).toBe(2);
    expect(await readFile(dockerfile, 'utf8')).toBe(text);
  });

  it('a Dockerfile whose FROM names no release asks for --distro/--codename', async () => {
    const dockerfile = join(work, 'Dockerfile.scratch');
    await writeFile(dockerfile, 'FROM registry.example/base:1\nARG SOURCE_DATE_EPOCH=1704067200\n');
    const r = await runCli(['bump', dockerfile, '--snapshot-base', server.debianBase]);
    expect(r).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${dockerfile}: FROM registry.example/base:1 names no Debian or Ubuntu release: give --distro and --codename (or a sources file)\n` });
    const half = await runCli(['bump', dockerfile, '--distro', 'debian']);
    expect(half).toEqual({ code: 2, stdout: '', stderr: 'repro-sources: --codename: give --distro and --codename together\n' });
    const given = await runCli(['bump', dockerfile, '--distro', 'debian', '--codename', 'bookworm', '--dry-run', '--snapshot-base', server.debianBase, '--max-staleness', String(10 * 365 * 86400)]);
    expect(given.code).toBe(0);
    expect(given.stdout).toContain('Packages of debian bookworm (from --distro/--codename)\n');
    expect(given.stdout).toContain('- hello 1.0-1 -> 2.0-1 (amd64)\n');
    // the test server's debian-security begins after this pin: the main archive is still reported
    expect(given.stdout).toContain("\n(Some of what changes could not be computed: no snapshot of debian-security at or before 20240101T000000Z on this server (the archive's first is 20050313T000000Z))\n");
  });

  it('moves no pin when the new snapshot lacks a suite the sources name', async () => {
    const dockerfile = join(work, 'Dockerfile.probe');
    await copyFile(join(PROJECT_ROOT, 'test/fixtures/dockerfiles/Dockerfile.multistage-crlf'), dockerfile);
    const withBackports = join(work, 'backports.sources');
    await writeFile(withBackports, (await readFile(sourcesFile, 'utf8')).replace('Suites: bookworm bookworm-updates', 'Suites: bookworm bookworm-backports'));
    const before = [await readFile(dockerfile), await readFile(withBackports)];
    const r = await runCli(['bump', dockerfile, withBackports, '--snapshot-base', server.debianBase, '--max-staleness', String(10 * 365 * 86400)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`repro-sources: ${withBackports}:1: not bumped to 20240201T000000Z: debian bookworm-backports: dists/bookworm-backports is not in snapshot 20240201T000000Z\n`);
    expect([await readFile(dockerfile), await readFile(withBackports)]).toEqual(before);
  });
});
