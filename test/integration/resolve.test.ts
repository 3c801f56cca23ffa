/** resolveSnapshot and latestSnapshot against the local snapshot server's two layouts. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReproSourcesError } from '../../src/errors.js';
import { fetchWithRetry } from '../../src/net/request.js';
import { latestSnapshot, resolveSnapshot } from '../../src/probe/resolve.js';
import { releaseText, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';

const D1 = '20231114T000000Z';
const D2 = '20231114T120000Z';
const S1 = '20231113T000000Z';
const ON_DISK = '20231115T000000Z';

let server: SnapshotServer;
let waits: number[];
const fixed = {
  sleep: async (ms: number): Promise<void> => {
    waits.push(ms);
  },
  random: () => 0.5,
};

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), 'rs-resolve-'));
  await mkdir(join(root, 'debian', ON_DISK, 'dists', 'bookworm'), { recursive: true });
  await writeFile(join(root, 'debian', ON_DISK, 'dists', 'bookworm', 'Release'), releaseText({ suite: 'stable', codename: 'bookworm', date: 'Wed, 15 Nov 2023 00:00:00 UTC' }));
  const rel = { 'dists/bookworm/InRelease': releaseText({ suite: 'stable', codename: 'bookworm' }) };
  server = await startSnapshotServer({
    files: { debian: { [D1]: rel, [D2]: rel }, 'debian-security': { [S1]: {} } },
    dir: { root, archives: { debian: [ON_DISK] } },
  });
});
afterAll(async () => server.stop());

describe('resolveSnapshot (Debian layout: the server says by redirect)', () => {
  it('an exact snapshot is itself; a time between snapshots is the one before, per archive', async () => {
    expect(await resolveSnapshot({ base: server.debianBase, archive: 'debian', id: D2 })).toEqual({
      archive: 'debian', base: server.debianBase, asked: D2, id: D2, checked: true, stalenessSec: 0, attempts: 1,
    });
    expect(await resolveSnapshot({ base: server.debianBase, archive: 'debian', id: '20231114T115959Z' })).toMatchObject({ id: D1, stalenessSec: 43199 });
    expect(await resolveSnapshot({ base: server.debianBase, archive: 'debian-security', id: '20231114T115959Z' })).toMatchObject({ id: S1, stalenessSec: 129599 });
    expect(server.requests(/^\/archive\/debian\/20231114T115959Z\/$/).map((r) => r.status)).toEqual([301]);
  });

  it('accepts a base without its trailing slash', async () => {
    expect((await resolveSnapshot({ base: server.debianBase.slice(0, -1), archive: 'debian', id: '20231116T000000Z' })).id).toBe(ON_DISK);
  });

  it('"now" is the newest, also one imported while running', async () => {
    expect(await latestSnapshot({ base: server.debianBase, archive: 'debian', now: () => 1700049600 })).toMatchObject({ id: ON_DISK, asked: '20231115T120000Z', stalenessSec: 43200 });
    server.addSnapshot('debian', '20231115T060000Z', {});
    expect((await latestSnapshot({ base: server.debianBase, archive: 'debian' })).id).toBe('20231115T060000Z');
  });

  it('a time before the first snapshot is an error naming the first', async () => {
    const e = await resolveSnapshot({ base: server.debianBase, archive: 'debian', id: '20200101T000000Z' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReproSourcesError);
    expect([(e as ReproSourcesError).code, (e as ReproSourcesError).subject, (e as ReproSourcesError).message]).toEqual([
      'NOT_FOUND',
      `${server.debianBase}debian/20200101T000000Z/`,
      "no snapshot of debian at or before 20200101T000000Z on this server (the archive's first is 20050312T000000Z)",
    ]);
  });

  it('retries a rate-limited answer, then reads the redirect', async () => {
    waits = [];
    server.fault(/^\/archive\/debian\/20231114T060000Z\/$/, [{ status: 429, headers: { 'retry-after': '3' } }, { status: 503 }]);
    expect(await resolveSnapshot({ ...fixed, base: server.debianBase, archive: 'debian', id: '20231114T060000Z' })).toMatchObject({ id: D1, attempts: 3 });
    expect(waits).toEqual([3000, 750]);
  });

  it('fails clearly when the server keeps failing or redirects somewhere that names no snapshot', async () => {
    waits = [];
    server.fault(/^\/archive\/debian\/20231114T070000Z\/$/, Array(3).fill({ status: 500 }));
    await expect(resolveSnapshot({ ...fixed, retries: 2, base: server.debianBase, archive: 'debian', id: '20231114T070000Z' })).rejects.toThrow('HTTP 500 (after 3 attempts)');
    server.fault(/^\/archive\/debian\/20231114T080000Z\/$/, [{ status: 302, headers: { location: '/maintenance.html' } }]);
    await expect(resolveSnapshot({ ...fixed, base: server.debianBase, archive: 'debian', id: '20231114T080000Z' })).rejects.toThrow(
      'redirected to /maintenance.html, which names no snapshot of debian',
    );
  });

  it('serves a snapshot from a directory on disk through the file redirect', async () => {
    const r = await fetchWithRetry(`${server.debianBase}debian/20231115T050000Z/dists/bookworm/Release`);
    expect(r.status).toBe(200);
    expect(r.hops.map((h) => h.replace(server.url, '').replace(/[0-9a-f]{40}/, 'SHA1'))).toEqual([`/archive/debian/20231115T050000Z/dists/bookworm/Release`, '/file/SHA1']);
    expect(r.body!.toString()).toContain('Date: Wed, 15 Nov 2023 00:00:00 UTC\n');
  });

  it('lists the snapshots at /mr/timestamp/ as the real service does', async () => {
    const r = await fetchWithRetry(`${server.url}/mr/timestamp/`);
    expect(JSON.parse(r.body!.toString()).result).toEqual({ debian: [D1, D2, ON_DISK, '20231115T060000Z'].sort(), 'debian-security': [S1] });
  });
});

describe('resolveSnapshot (Ubuntu: any time is a snapshot)', () => {
  it('gives back the time asked without asking the server', async () => {
    const before = server.log.length;
    expect(await resolveSnapshot({ base: server.ubuntuBase, archive: 'ubuntu', id: '20240101T010203Z' })).toEqual({
      archive: 'ubuntu', base: server.ubuntuBase, asked: '20240101T010203Z', id: '20240101T010203Z', checked: false, stalenessSec: 0, attempts: 0,
    });
    expect(await latestSnapshot({ base: server.ubuntuBase, archive: 'ubuntu-ports', now: () => 1700000000 })).toMatchObject({ id: '20231114T221320Z', checked: false });
    expect(server.log.length).toBe(before);
  });

  it('an unknown archive is a usage error', async () => {
    await expect(resolveSnapshot({ archive: 'fedora', id: D1 })).rejects.toMatchObject({ code: 'USAGE', subject: 'fedora', message: 'unknown snapshot archive' });
  });
});
