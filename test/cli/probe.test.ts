/** The probe and resolve commands, and rewrite --resolve/--probe, run as the built bin against the local snapshot server. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOKWORM, bookwormSnapshots, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

const { D1, D2, S1 } = BOOKWORM;

let server: SnapshotServer;

beforeAll(async () => {
  server = await startSnapshotServer({ files: bookwormSnapshots() });
});
afterAll(async () => server.stop());

async function sourcesFile(text: string, name = 'x.sources'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rs-probe-'));
  await writeFile(join(dir, name), text);
  return join(dir, name);
}

describe('repro-sources probe and resolve (CLI)', () => {
  it('exit 0 and a table when every entry is available', async () => {
    const f = await sourcesFile('Types: deb\nURIs: http://ftp.de.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n');
    const r = await runCli(['probe', '--snapshot-base', server.debianBase, '--snapshot', D2, f]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^\s+ARCHIVE\s+SUITE\s+SNAPSHOT\s+STALE\s+HTTP\s+TRIES\s+MS\s+PROBLEMS$/);
    expect(r.stdout.split('\n').slice(1, 3).map((l) => l.split(/\s+/).slice(0, 6).join(' '))).toEqual([
      `ok debian bookworm ${D2} 0s 200`,
      `ok debian bookworm-updates ${D2} 0s 200`,
    ]);
    expect(r.stderr).toMatch(/^repro-sources: probe: 2 of 2 available in \d+ ms\n$/);
  });

  it('probes files that are already pinned as they are, exit 1 and --json when one is missing', async () => {
    const f = await sourcesFile(`Types: deb\nURIs: ${server.debianBase}debian/${D1}/\nSuites: bookworm trixie\nComponents: main\n`);
    const r = await runCli(['probe', '--json', '--retries', '0', f], { env: cleanEnv() });
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    expect(doc.entries.map((e: { suite: string; ok: boolean; status: number; problems: string[] }) => [e.suite, e.ok, e.status, e.problems])).toEqual([
      ['bookworm', true, 200, []],
      ['trixie', false, 404, [`dists/trixie is not in snapshot ${D1}`]],
    ]);
  });

  it('an unknown suite on a Debian path is probed as Debian: exit 1 naming the missing dists', async () => {
    const f = await sourcesFile('deb http://ftp.de.debian.org/debian nosuch main\n', 'x.list');
    const r = await runCli(['probe', '--json', '--retries', '0', '--snapshot-base', server.debianBase, '--snapshot', D1, f]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.entries.map((e: { archive: string; suite: string; ok: boolean; problems: string[] }) => [e.archive, e.suite, e.ok, e.problems])).toEqual([['debian', 'nosuch', false, [`dists/nosuch is not in snapshot ${D1}`]]]);
  });

  it('exit 2 for bad input', async () => {
    const f = await sourcesFile('deb https://download.docker.com/linux/debian bookworm stable\n', 'x.list');
    expect(await runCli(['probe', '--snapshot', D1, f])).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${f}: no Debian or Ubuntu entries to probe\n` });
    expect((await runCli(['probe', '--snapshot', D1, '--retries', 'many', f])).stderr).toBe('repro-sources: --retries many: must be a number >= 0\n');
  });

  it('resolve prints the exact id at or before the time', async () => {
    expect(await runCli(['resolve', '--snapshot-base', server.debianBase, '--date', '2023-11-14T11:00:00Z'])).toEqual({ code: 0, stdout: `${D1}\n`, stderr: '' });
    const j = await runCli(['resolve', '--snapshot-base', server.debianBase, '--archive', 'debian-security', '--epoch', '1699963200', '--json']);
    expect(JSON.parse(j.stdout)).toEqual({ schemaVersion: 1, archive: 'debian-security', base: server.debianBase, asked: '20231114T120000Z', id: S1, checked: true, stalenessSec: 129600 });
    const none = await runCli(['resolve', '--snapshot-base', server.debianBase, '--date', '2020-01-01']);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`repro-sources: ${server.debianBase}debian/20200101T000000Z/: no snapshot of debian at or before 20200101T000000Z on this server (the archive's first is 20050312T000000Z)\n`);
  });

  it('rewrite --resolve pins each archive to the exact snapshot it has at that time', async () => {
    const f = await sourcesFile('deb http://ftp.de.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n', 'x.list');
    const r = await runCli(['rewrite', '--stdout', '--resolve', '--snapshot-base', server.debianBase, '--date', '2023-11-14T13:00:00Z', f]);
    expect(r).toEqual({
      code: 0,
      stdout: `deb [check-valid-until=no] ${server.debianBase}debian/${D2}/ bookworm main\ndeb [check-valid-until=no] ${server.debianBase}debian-security/${S1}/ bookworm-security main\n`,
      stderr: '',
    });
  });

  it('rewrite --probe writes the first base that serves the archive well, and refuses when none does', async () => {
    const bad = await startSnapshotServer({ files: {} });
    const f = await sourcesFile('deb http://ftp.de.debian.org/debian bookworm main\n', 'x.list');
    const r = await runCli(['rewrite', '--stdout', '--probe', '--snapshot-base', bad.debianBase, '--snapshot-base', server.debianBase, '--snapshot', D2, f]);
    expect(r).toEqual({ code: 0, stdout: `deb [check-valid-until=no] ${server.debianBase}debian/${D2}/ bookworm main\n`, stderr: '' });
    const none = await runCli(['rewrite', '--probe', '--snapshot-base', bad.debianBase, '--snapshot', D2, f]);
    await bad.stop();
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`repro-sources: ${bad.debianBase}debian/${D2}/dists/bookworm/InRelease: no snapshot base serves debian well: snapshot: no snapshot of debian at or before ${D2} on this server (the archive's first is 20050312T000000Z)\n`);
    expect(await readFile(f, 'utf8')).toBe('deb http://ftp.de.debian.org/debian bookworm main\n');
  });

  it('fails a frozen mirror beyond --max-staleness, with the table saying why', async () => {
    const f = await sourcesFile('deb http://ftp.us.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\n', 'x.list');
    const args = ['probe', '--snapshot-base', server.debianBase, '--date', '2023-11-14T13:00:00Z', f];
    const r = await runCli([...args, '--max-staleness', '86400']);
    expect(r.code).toBe(1);
    const rows = r.stdout.trimEnd().split('\n').slice(1).map((l) => l.split(/\s{2,}/));
    expect(rows.map((c) => [c[0], c[1], c[3], c[4]])).toEqual([
      ['ok', 'debian', D2, '60m'],
      ['FAIL', 'debian-security', S1, '37h'],
    ]);
    expect(rows[1]!.at(-1)).toBe(`stale: snapshot ${S1} is 37h older than 20231114T130000Z (limit 24h); has the mirror stopped importing?`);
    expect(r.stderr).toMatch(/^repro-sources: probe: 1 of 2 available in \d+ ms\n$/);
    expect((await runCli(args)).code).toBe(0);
  });

  it('--json is one stable document; several bases fall back per archive and the winner is named', async () => {
    const down = await startSnapshotServer({ files: {} });
    down.fault(/./, Array(20).fill({ status: 503 }));
    const f = await sourcesFile('Types: deb\nURIs: http://ftp.de.debian.org/debian\nSuites: bookworm\nComponents: main\nArchitectures: amd64\n');
    const r = await runCli(['probe', '--json', '--retries', '1', '--max-wait', '0', '--snapshot-base', down.debianBase, '--snapshot-base', server.debianBase, '--snapshot', D2, f]);
    await down.stop();
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['schemaVersion', 'ok', 'elapsedMs', 'chosenBases', 'entries']);
    expect(doc.chosenBases).toEqual({ debian: server.debianBase });
    expect({ ...doc.entries[0], latencyMs: 0 }).toEqual({
      archive: 'debian',
      base: server.debianBase,
      suite: 'bookworm',
      url: `${server.debianBase}debian/${D2}/dists/bookworm/InRelease`,
      ok: true,
      status: 200,
      idAsked: D2,
      idReached: D2,
      stalenessSec: 0,
      latencyMs: 0,
      attempts: 2,
      release: { suite: 'stable', codename: 'bookworm', date: 'Tue, 14 Nov 2023 12:00:00 UTC' },
      suiteMatches: true,
      missingComponents: [],
      missingArchitectures: [],
      problems: [],
      origin: { file: f, line: 1 },
    });
  });

  it('exit 2 for a bad --max-staleness or --concurrency, and the help states the time bound', async () => {
    const f = await sourcesFile('deb http://ftp.us.debian.org/debian bookworm main\n', 'x.list');
    expect(await runCli(['probe', '--snapshot', D1, '--max-staleness', 'week', f])).toEqual({ code: 2, stdout: '', stderr: 'repro-sources: --max-staleness week: must be a number of seconds\n' });
    expect((await runCli(['probe', '--snapshot', D1, '--concurrency', '0', f])).stderr).toBe('repro-sources: --concurrency 0: must be a number >= 1\n');
    const help = await runCli(['probe', '--help']);
    expect(help.stdout).toContain('Time bound: one request, its retries and waits included, is cut off after timeout x (retries + 1) + max-wait x retries\n(390 s with the defaults).');
    expect((await runCli(['resolve', '--help'])).stdout).not.toContain('--concurrency');
  });

  it('resolve for Ubuntu prints the time itself and asks no server', async () => {
    expect(await runCli(['resolve', '--distro', 'ubuntu', '--snapshot-base', 'http://127.0.0.1:9/', '--epoch', '1700000000'])).toEqual({ code: 0, stdout: '20231114T221320Z\n', stderr: '' });
  });

  it('resolve retries a busy server and says why it gave up', async () => {
    server.fault(/^\/archive\/debian\/20231114T030000Z\/$/, [{ status: 429, headers: { 'retry-after': '0' } }]);
    expect(await runCli(['resolve', '--snapshot-base', server.debianBase, '--date', '2023-11-14T03:00:00Z'])).toEqual({ code: 0, stdout: `${D1}\n`, stderr: '' });
    server.fault(/^\/archive\/debian\/20231114T040000Z\/$/, Array(2).fill({ status: 503 }));
    expect(await runCli(['resolve', '--retries', '1', '--max-wait', '0', '--snapshot-base', server.debianBase, '--date', '2023-11-14T04:00:00Z'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `repro-sources: ${server.debianBase}debian/20231114T040000Z/: HTTP 503 (after 2 attempts)\n`,
    });
  });

  it('says on stderr when it waits to retry, so a long Retry-After does not look like a hang', async () => {
    const f = await sourcesFile('deb http://ftp.us.debian.org/debian bookworm-updates main\n', 'x.list');
    server.fault(/bookworm-updates\/InRelease$/, [{ status: 429, headers: { 'retry-after': '1' } }]);
    const r = await runCli(['probe', '--snapshot-base', server.debianBase, '--snapshot', D1, f]);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`repro-sources: probe: ${server.debianBase}debian/${D1}/dists/bookworm-updates/InRelease: HTTP 429; retry 1 in 1s`);
    expect(r.stdout.split('\n')[1]!.split(/\s{2,}/).slice(0, 7)).toEqual(['ok', 'debian', 'bookworm-updates', D1, '0s', '200', '3']);
  });
});
