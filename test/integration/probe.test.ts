/** fetchWithRetry and probe() against the fault-injecting snapshot server: attempts, waits, verdicts. */
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, fetchWithRetry } from '../../src/net/request.js';
import { probe, type ProbeEntry } from '../../src/probe/probe.js';
import { ReproSourcesError } from '../../src/errors.js';
import type { SnapshotTarget } from '../../src/sources/target.js';
import { BOOKWORM, bookwormSnapshots, releaseText, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';

const { D1, D2, S1 } = BOOKWORM;

let server: SnapshotServer;
let waits: number[];
const sleep = async (ms: number): Promise<void> => {
  waits.push(ms);
};
const fixed = { sleep, random: () => 0.5 };

beforeAll(async () => {
  server = await startSnapshotServer({
    files: {
      ...bookwormSnapshots(),
      ubuntu: { '20230301T000000Z': { 'dists/noble/InRelease': releaseText({ suite: 'noble', codename: 'noble', components: ['main', 'universe'] }) } },
    },
  });
});
afterAll(async () => server.stop());

function target(archive: string, id: string, suites: string[], components = ['main'], base = server.debianBase): SnapshotTarget {
  return { distro: archive.startsWith('ubuntu') ? 'ubuntu' : 'debian', archive, base, id, subdir: '', suites, components };
}

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
    // the first reset meets the connection the 503 left open: that request goes again at once on
    // a new connection (as curl does with a kept-alive connection that died), whose reset counts
    server.fault(/bookworm\/InRelease$/, [{ status: 503 }, 'reset', 'reset', 'cut', { status: 502 }]);
    const before = server.requests(/bookworm\/InRelease$/).length;
    const r = await fetchWithRetry(url(), fixed);
    // equal jitter with random 0.5: 3/4 of 500, 1000, 2000, 4000 ms
    expect({ status: r.status, attempts: r.attempts, waits }).toEqual({ status: 200, attempts: 5, waits: [375, 750, 1500, 3000] });
    expect(server.requests(/bookworm\/InRelease$/).length - before).toBe(6);
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

describe('fetchWithRetry, more faults', () => {
  it("a redirect's body that comes after its head is read, so the next hop takes the same connection; one over 128 KiB closes it", async () => {
    let connections = 0;
    const tcp = createTcpServer((socket: Socket) => {
      connections++;
      socket.on('error', () => {});
      let buf = '';
      socket.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        for (let end; (end = buf.indexOf('\r\n\r\n')) >= 0; buf = buf.slice(end + 4)) {
          const path = buf.slice(0, end).split(' ')[1]!;
          if (path === '/final') socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
          else {
            const size = path === '/big' ? 1 << 20 : 300;
            // the head first, the page a moment later, as a server that flushes its head does
            socket.write(`HTTP/1.1 302 Found\r\nLocation: /final\r\nContent-Length: ${size}\r\n\r\n`);
            setTimeout(() => socket.write(Buffer.alloc(size, 'x')), 30);
          }
        }
      });
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
    const dispatcher = createAgent();
    try {
      const get = async (path: string): Promise<string> => text((await fetchWithRetry(`${origin}${path}`, { ...fixed, dispatcher, buffer: false })).stream!);
      expect([await get('/small'), connections]).toEqual(['ok', 1]);
      expect([await get('/big'), connections]).toEqual(['ok', 2]);
      // a body read to its end drops at once
      const read = await fetchWithRetry(`${origin}/final`, { ...fixed, dispatcher, buffer: false });
      expect(await text(read.stream!)).toBe('ok');
      await read.stream!.dump();
    } finally {
      await dispatcher.close();
      tcp.close();
    }
  });

  const url = () => `${server.url}/archive/debian/${D1}/dists/bookworm/InRelease`;

  it('retries a body that stalls, within the body timeout', async () => {
    waits = [];
    server.fault(/bookworm\/InRelease$/, ['stall']);
    const dispatcher = createAgent({ bodyTimeoutMs: 300 });
    const r = await fetchWithRetry(url(), { ...fixed, dispatcher });
    await dispatcher.close();
    expect({ status: r.status, attempts: r.attempts, waits, text: r.body!.toString().slice(0, 22) }).toEqual({
      status: 200, attempts: 2, waits: [375], text: 'Origin: Debian\nLabel: ',
    });
  });

  it('keeps the total time bounded: a wait longer than the time left is not waited', async () => {
    waits = [];
    server.fault(/bookworm\/InRelease$/, [{ status: 429, headers: { 'retry-after': '30' } }]);
    const seen: unknown[] = [];
    const r = await fetchWithRetry(url(), { ...fixed, totalTimeoutMs: 10_000, onAttempt: (a) => seen.push(a) });
    expect({ status: r.status, attempts: r.attempts, waits }).toEqual({ status: 429, attempts: 1, waits: [] });
    expect(seen).toEqual([{ attempt: 1, url: url(), status: 429 }]);
    server.clearFaults();
  });

  it('the total bound also cuts an attempt in flight', async () => {
    server.fault(/bookworm\/InRelease$/, ['hang']);
    const started = Date.now();
    const e = await fetchWithRetry(url(), { ...fixed, totalTimeoutMs: 400 }).catch((x: unknown) => x);
    expect(Date.now() - started).toBeLessThan(2000);
    expect([(e as ReproSourcesError).code, (e as ReproSourcesError).message]).toEqual(['NETWORK', 'no answer within 0.4s (after 1 attempt)']);
  });

  it('reports each failed attempt and the wait chosen', async () => {
    const seen: unknown[] = [];
    server.fault(/bookworm\/InRelease$/, [{ status: 503 }, 'reset', 'reset']);
    await fetchWithRetry(url(), { ...fixed, onAttempt: (a) => seen.push({ ...a, error: a.error?.split(':')[0] }) });
    expect(seen).toEqual([
      { attempt: 1, url: url(), status: 503, waitMs: 375, error: undefined },
      { attempt: 2, url: url(), error: 'ECONNRESET', waitMs: 750 },
    ]);
  });

  it('a header with a line break fails at once, without a retry or a request', async () => {
    const slept: number[] = [];
    const before = server.log.length;
    const e = await fetchWithRetry(url(), { ...fixed, sleep: async (ms) => void slept.push(ms), headers: { 'x-evil': 'a\r\nhost: b' } }).catch((x: unknown) => x);
    expect([(e as ReproSourcesError).code, (e as ReproSourcesError).message, slept, server.log.length - before]).toEqual(['NETWORK', 'header x-evil holds a line break (after 1 attempt)', [], 0]);
  });

  it('hands back the last answer, headers and all, when the retries run out', async () => {
    server.fault(/bookworm\/InRelease$/, Array(3).fill({ status: 503, headers: { 'retry-after': '0', 'x-served-by': 'busy' } }));
    const r = await fetchWithRetry(url(), { ...fixed, retries: 2 });
    expect({ status: r.status, attempts: r.attempts, servedBy: r.headers['x-served-by'], hops: r.hops, url: r.url }).toEqual({
      status: 503, attempts: 3, servedBy: 'busy', hops: [url()], url: url(),
    });
  });

  it('sends its headers on every hop of one origin, and no credentials to another origin', async () => {
    const other = await startSnapshotServer({ files: { debian: { [D1]: { 'dists/bookworm/InRelease': releaseText({ suite: 'stable', codename: 'bookworm' }) } } } });
    server.fault(/bookworm\/InRelease$/, [{ status: 302, headers: { location: `${other.debianBase}debian/${D1}/dists/bookworm/InRelease` } }]);
    const r = await fetchWithRetry(url(), { ...fixed, headers: { authorization: 'Basic c2VjcmV0', 'x-trace': 't1' } });
    await other.stop();
    expect(r.status).toBe(200);
    expect(server.log.at(-1)!.headers).toMatchObject({ authorization: 'Basic c2VjcmV0', 'x-trace': 't1', 'user-agent': 'repro-sources' });
    expect(other.log.map((l) => [l.status, l.headers.authorization, l.headers['x-trace']])).toEqual([
      [302, undefined, 't1'],
      [200, undefined, 't1'],
    ]);
  });

  it('records every hop of the redirects and the final URL', async () => {
    const r = await fetchWithRetry(`${server.url}/archive/debian/20231114T060000Z/dists/bookworm/InRelease`, fixed);
    expect(r.hops.map((h) => h.replace(server.url, ''))).toEqual([
      '/archive/debian/20231114T060000Z/dists/bookworm/InRelease',
      expect.stringMatching(/^\/file\/[0-9a-f]{40}$/),
    ]);
    expect(r.url).toBe(r.hops[1]);
  });

  it('streams a body for callers that read large files, and reuses the keep-alive connection', async () => {
    const dispatcher = createAgent();
    const opened: number[] = [];
    for (let i = 0; i < 6; i++) {
      const before = server.connections();
      const r = await fetchWithRetry(url(), { ...fixed, dispatcher, buffer: false });
      expect(r.body).toBeUndefined();
      expect((await text(r.stream!)).split('\n')[2]).toBe('Suite: stable');
      opened.push(server.connections() - before);
    }
    // the first call may open a second connection for its redirect hop; then none are opened
    expect(opened.slice(1)).toEqual([0, 0, 0, 0, 0]);
    await dispatcher.close();
  });
});

describe('probe, more', () => {
  it('probes Ubuntu without resolving (any time is a snapshot), and falls back from InRelease to Release', async () => {
    const before = server.log.length;
    const report = await probe([target('ubuntu', '20240101T000000Z', ['noble'], ['main', 'universe'], server.ubuntuBase), target('debian-security', S1, ['bookworm-security'])], fixed);
    expect(report.entries.map((e) => [e.archive, e.ok, e.idReached, e.stalenessSec, e.attempts, e.url.replace(server.url, '')])).toEqual([
      ['debian-security', true, S1, 0, 3, `/archive/debian-security/${S1}/dists/bookworm-security/Release`],
      ['ubuntu', true, '20240101T000000Z', 0, 1, '/ubuntu/20240101T000000Z/dists/noble/InRelease'],
    ]);
    // debian-security: the directory (200), InRelease (404), Release (302 + file); ubuntu: InRelease only
    expect(server.log.slice(before).map((l) => `${l.status} ${l.path.replace(/[0-9a-f]{40}/, 'SHA1')}`).sort()).toEqual([
      '200 /file/SHA1',
      `200 /archive/debian-security/${S1}/`,
      '200 /ubuntu/20240101T000000Z/dists/noble/InRelease',
      `302 /archive/debian-security/${S1}/dists/bookworm-security/Release`,
      `404 /archive/debian-security/${S1}/dists/bookworm-security/InRelease`,
    ].sort());
  });

  it('catches a mirror that stopped importing, and passes once it imports again', async () => {
    const frozen = await startSnapshotServer({ files: { debian: { '20230101T000000Z': { 'dists/bookworm/InRelease': releaseText({ suite: 'stable', codename: 'bookworm' }) } } } });
    const t = target('debian', D2, ['bookworm'], ['main'], frozen.debianBase);
    const stale = await probe([t], fixed);
    expect(stale.entries[0]!.problems).toEqual([
      `stale: snapshot 20230101T000000Z is 318d older than ${D2} (limit 2d); has the mirror stopped importing?`,
    ]);
    expect(stale.ok).toBe(false);
    frozen.addSnapshot('debian', '20231114T060000Z', { 'dists/bookworm/InRelease': releaseText({ suite: 'stable', codename: 'bookworm' }) });
    const fresh = await probe([t], fixed);
    expect(fresh.entries[0]).toMatchObject({ ok: true, idReached: '20231114T060000Z', stalenessSec: 21600 });
    await frozen.stop();
  });

  it('says when the Release is another suite', async () => {
    const other = await startSnapshotServer({ files: { debian: { [D1]: { 'dists/bookworm/InRelease': releaseText({ suite: 'oldstable', codename: 'bullseye' }) } } } });
    const report = await probe([target('debian', D1, ['bookworm'], ['main'], other.debianBase)], fixed);
    await other.stop();
    expect(report.entries[0]).toMatchObject({ ok: false, suiteMatches: false, problems: ['Release is oldstable/bullseye, not bookworm'] });
  });

  it('calls onProgress once per entry, in order of completion', async () => {
    const seen: [number, number, string][] = [];
    await probe([target('debian', D2, ['bookworm', 'bookworm-updates']), target('debian-security', S1, ['bookworm-security'])], {
      ...fixed,
      onProgress: ({ done, total, entry }: { done: number; total: number; entry: ProbeEntry }) => seen.push([done, total, entry.suite]),
    });
    expect(seen.map(([d, t]) => [d, t])).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(seen.map((x) => x[2]).sort()).toEqual(['bookworm', 'bookworm-security', 'bookworm-updates']);
  });

  it('an AbortSignal cancels the whole probe promptly, with an ABORTED error', async () => {
    server.fault(/InRelease$/, Array(6).fill({ status: 429, headers: { 'retry-after': '60' } }));
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 150);
    const e = await probe([target('debian', D2, ['bookworm', 'bookworm-updates'])], { signal: ac.signal, bases: [server.debianBase, server.debianBase] }).catch((x: unknown) => x);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(e).toBeInstanceOf(ReproSourcesError);
    expect([(e as ReproSourcesError).code, (e as ReproSourcesError).message]).toEqual(['ABORTED', 'cancelled']);
    server.clearFaults();
    await expect(probe([target('debian', D2, ['bookworm'])], { signal: AbortSignal.abort() })).rejects.toThrow('cancelled');
  });

  it('bounds the requests in flight by concurrency', async () => {
    server.setLatency(100);
    const started = performance.now();
    const suites = Array.from({ length: 6 }, (_, i) => `s${i}`);
    const report = await probe([target('ubuntu', '20240101T000000Z', suites, ['main'], server.ubuntuBase)], { ...fixed, concurrency: 2 });
    const ms = performance.now() - started;
    server.setLatency(0);
    // 6 InRelease (404) + 6 Release (404) at 2 at a time: 6 rounds of 100 ms
    expect(report.entries.map((e) => e.status)).toEqual(Array(6).fill(404));
    expect(ms).toBeGreaterThanOrEqual(590);
    expect(ms).toBeLessThan(1500);
  });
});

