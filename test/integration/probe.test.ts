import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, fetchWithRetry } from '../../src/probe/http.js';
import { latestSnapshot, resolveSnapshot } from '../../src/probe/resolve.js';
import { probe } from '../../src/probe/probe.js';
import { ReproSourcesError } from '../../src/errors.js';
import type { SnapshotTarget } from '../../src/sources/target.js';
import { releaseText, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

const D1 = '20231114T000000Z';
const D2 = '20231114T120000Z';
const S1 = '20231113T000000Z';

let server: SnapshotServer;
let waits: number[];
const sleep = async (ms: number): Promise<void> => {
  waits.push(ms);
};
const fixed = { sleep, random: () => 0.5 };

beforeAll(async () => {
  const bookworm = (date: string) => ({
    'dists/bookworm/InRelease': releaseText({ suite: 'stable', codename: 'bookworm', date }),
    'dists/bookworm-updates/InRelease': releaseText({ suite: 'stable-updates', codename: 'bookworm-updates', date }),
  });
  server = await startSnapshotServer({
    files: {
      debian: { [D1]: bookworm('Tue, 14 Nov 2023 00:00:00 UTC'), [D2]: bookworm('Tue, 14 Nov 2023 12:00:00 UTC') },
      'debian-security': { [S1]: { 'dists/bookworm-security/Release': releaseText({ suite: 'stable-security', codename: 'bookworm-security', components: ['updates/main'] }) } },
      ubuntu: { '20230301T000000Z': { 'dists/noble/InRelease': releaseText({ suite: 'noble', codename: 'noble', components: ['main', 'universe'] }) } },
    },
  });
});
afterAll(async () => server.stop());

function target(archive: string, id: string, suites: string[], components = ['main'], base = server.debianBase): SnapshotTarget {
  return { distro: archive.startsWith('ubuntu') ? 'ubuntu' : 'debian', archive, base, id, subdir: '', suites, components };
}

describe('resolve', () => {
  it('an exact snapshot is itself; a time between snapshots is the one before; "now" is the newest', async () => {
    expect((await resolveSnapshot({ base: server.debianBase, archive: 'debian', id: D2 })).id).toBe(D2);
    expect(await resolveSnapshot({ base: server.debianBase, archive: 'debian', id: '20231114T115959Z' })).toMatchObject({ id: D1, checked: true, stalenessSec: 43199 });
    expect((await latestSnapshot({ base: server.debianBase, archive: 'debian' })).id).toBe(D2);
  });

  it('a time before the first snapshot is an error naming it', async () => {
    await expect(resolveSnapshot({ base: server.debianBase, archive: 'debian', id: '20200101T000000Z' })).rejects.toThrow(
      'no snapshot of debian at or before 20200101T000000Z on this server (the archive\'s first is 20050312T000000Z)',
    );
  });

  it("Ubuntu's service takes any time: nothing is asked", async () => {
    const before = server.log.length;
    expect(await resolveSnapshot({ base: server.ubuntuBase, archive: 'ubuntu', id: '20240101T010203Z' })).toMatchObject({ id: '20240101T010203Z', checked: false });
    expect(server.log.length).toBe(before);
  });
});

describe('fetchWithRetry', () => {
  const url = () => `${server.url}/archive/debian/${D1}/dists/bookworm/InRelease`;
  it('honours Retry-After in seconds, then succeeds', async () => {
    waits = [];
    server.fault(/bookworm\/InRelease$/, [{ status: 429, headers: { 'retry-after': '7' } }]);
    const r = await fetchWithRetry(url(), fixed);
    expect({ status: r.status, attempts: r.attempts, waits }).toEqual({ status: 200, attempts: 2, waits: [7000] });
  });

  it('honours Retry-After as an HTTP date, capped by maxWait', async () => {
    waits = [];
    server.fault(/bookworm\/InRelease$/, [{ status: 503, headers: { 'retry-after': new Date(Date.now() + 3600_000).toUTCString() } }]);
    const r = await fetchWithRetry(url(), { ...fixed, maxWaitMs: 5000 });
    expect({ status: r.status, attempts: r.attempts, waits }).toEqual({ status: 200, attempts: 2, waits: [5000] });
  });

  it('backs off exponentially with jitter through a burst of 503s, resets and cut bodies', async () => {
    waits = [];
    server.fault(/bookworm\/InRelease$/, [{ status: 503 }, 'reset', 'cut', { status: 502 }]);
    const r = await fetchWithRetry(url(), fixed);
    // equal jitter with random 0.5: 3/4 of 500, 1000, 2000, 4000 ms
    expect({ status: r.status, attempts: r.attempts, waits }).toEqual({ status: 200, attempts: 5, waits: [375, 750, 1500, 3000] });
  });

  it('does not retry 404, and gives back the last answer when retries run out', async () => {
    waits = [];
    const missing = await fetchWithRetry(`${server.url}/archive/debian/${D1}/dists/nope/InRelease`, fixed);
    expect({ status: missing.status, attempts: missing.attempts, waits }).toEqual({ status: 404, attempts: 1, waits: [] });
    server.fault(/bookworm\/InRelease$/, [{ status: 500 }, { status: 500 }, { status: 500 }]);
    const r = await fetchWithRetry(url(), { ...fixed, retries: 2 });
    expect({ status: r.status, attempts: r.attempts }).toEqual({ status: 500, attempts: 3 });
    server.fault(/bookworm\/InRelease$/, []);
  });

  it('retries headers that never come, within the headers timeout', async () => {
    waits = [];
    server.fault(/bookworm\/InRelease$/, ['hang']);
    const dispatcher = createAgent({ headersTimeoutMs: 300 });
    const r = await fetchWithRetry(url(), { ...fixed, dispatcher });
    await dispatcher.close();
    expect({ status: r.status, attempts: r.attempts }).toEqual({ status: 200, attempts: 2 });
  });

  it('stops a redirect loop with a clear error', async () => {
    server.fault(/bookworm\/InRelease$/, Array(20).fill('loop'));
    await expect(fetchWithRetry(url(), fixed)).rejects.toThrow(/more than 10 redirects \(a loop\?\)/);
    server.fault(/bookworm\/InRelease$/, []);
  });

  it('gives up on a dead server after the retries, with a NETWORK error', async () => {
    waits = [];
    const e = await fetchWithRetry('http://127.0.0.1:9/x', { ...fixed, retries: 2 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReproSourcesError);
    expect((e as ReproSourcesError).code).toBe('NETWORK');
    expect((e as ReproSourcesError).message).toMatch(/ECONNREFUSED.*\(after 3 attempts\)$/);
    expect(waits).toEqual([375, 750]);
  });

  it('an AbortSignal cancels promptly, mid-wait', async () => {
    server.fault(/bookworm\/InRelease$/, [{ status: 429, headers: { 'retry-after': '60' } }]);
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    await expect(fetchWithRetry(url(), { signal: ac.signal })).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(5000);
    server.fault(/bookworm\/InRelease$/, []);
  });
});

describe('probe', () => {
  it('reports the snapshot reached, Release facts, staleness per archive, and missing parts', async () => {
    waits = [];
    const report = await probe(
      [
        target('debian', '20231114T130000Z', ['bookworm', 'bookworm-updates'], ['main', 'non-free']),
        target('debian-security', '20231114T130000Z', ['bookworm-security'], ['main']),
      ],
      { ...fixed, maxStalenessSec: 86400 },
    );
    const brief = report.entries.map((e) => [e.archive, e.suite, e.ok, e.idReached, e.stalenessSec, e.status, e.suiteMatches, e.missingComponents, e.problems]);
    expect(brief).toEqual([
      ['debian', 'bookworm', false, D2, 3600, 200, true, ['non-free'], ['components missing: non-free']],
      ['debian', 'bookworm-updates', false, D2, 3600, 200, true, ['non-free'], ['components missing: non-free']],
      ['debian-security', 'bookworm-security', false, S1, 133200, 200, true, [], [
        'stale: snapshot 20231113T000000Z is 37h older than 20231114T130000Z (limit 24h); has the mirror stopped importing?',
      ]],
    ]);
    expect(report.entries[2]!.url).toBe(`${server.debianBase}debian-security/${S1}/dists/bookworm-security/Release`);
    expect(report.entries[0]!.release).toEqual({ suite: 'stable', codename: 'bookworm', date: 'Tue, 14 Nov 2023 12:00:00 UTC' });
    expect(report.ok).toBe(false);
  });

  it('falls back to the next base for an archive the first base serves badly', async () => {
    const bad = await startSnapshotServer({ files: {} });
    bad.fault(/./, Array(50).fill({ status: 503 }));
    waits = [];
    const report = await probe([target('debian', D2, ['bookworm'])], { ...fixed, retries: 1, bases: [bad.debianBase, server.debianBase] });
    await bad.stop();
    expect(report.ok).toBe(true);
    expect(report.chosenBases).toEqual({ debian: server.debianBase });
    expect(report.entries.map((e) => e.base)).toEqual([server.debianBase]);
  });
});

describe('repro-sources probe and resolve (CLI)', () => {
  async function sourcesFile(text: string, name = 'x.sources'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'rs-probe-'));
    await writeFile(join(dir, name), text);
    return join(dir, name);
  }

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

  it('exit 2 for bad input', async () => {
    const f = await sourcesFile('deb https://download.docker.com/linux/debian bookworm stable\n', 'x.list');
    expect(await runCli(['probe', '--snapshot', D1, f])).toEqual({ code: 2, stdout: '', stderr: `repro-sources: ${f}: no Debian or Ubuntu entries to probe\n` });
    expect((await runCli(['probe', '--snapshot', D1, '--retries', 'many', f])).stderr).toBe('repro-sources: --retries many: must be a number >= 0\n');
  });

  it('resolve prints the exact id at or before the time', async () => {
    expect(await runCli(['resolve', '--snapshot-base', server.debianBase, '--date', '2023-11-14T11:00:00Z'])).toEqual({ code: 0, stdout: `${D1}\n`, stderr: '' });
    const j = await runCli(['resolve', '--snapshot-base', server.debianBase, '--archive', 'debian-security', '--epoch', '1699963200', '--json']);
    expect(JSON.parse(j.stdout)).toEqual({ archive: 'debian-security', base: server.debianBase, asked: '20231114T120000Z', id: S1, checked: true, stalenessSec: 129600 });
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
    expect(await (await import('node:fs/promises')).readFile(f, 'utf8')).toBe('deb http://ftp.de.debian.org/debian bookworm main\n');
  });
});
