import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { besidePattern, removeDeadLeftovers } from '../../src/fs/process-temp.js';
import { HotObjects } from '../../src/serve/hot-objects.js';
import { classifyPath } from '../../src/serve/paths.js';
import { byHashTarget, releaseHashes } from '../../src/serve/release-hashes.js';
import { requestedRange } from '../../src/serve/respond.js';

const H256 = 'a'.repeat(64);
const H256B = 'b'.repeat(64);
const MD5 = 'c'.repeat(32);
const RELEASE = `Origin: Debian
Suite: stable
Codename: bookworm
Acquire-By-Hash: yes
MD5Sum:
 ${MD5}  1234 main/binary-amd64/Packages.gz
 ${'d'.repeat(32)}   99 main/i18n/Translation-en
SHA256:
 ${H256}  1234 main/binary-amd64/Packages.gz
 ${H256B}  5678 main/binary-amd64/Packages
`;

describe('serve: what a path is', () => {
  it('reads by-hash names of every algorithm with the directory they sit in, and only with a hash of the right length', () => {
    expect(classifyPath(`dists/bookworm/main/binary-amd64/by-hash/SHA256/${H256}`)).toEqual({ kind: 'by-hash', suite: 'bookworm', dir: 'main/binary-amd64', algo: 'SHA256', hash: H256 });
    expect(classifyPath(`dists/buster/updates/main/binary-amd64/by-hash/MD5Sum/${MD5}`)).toEqual({ kind: 'by-hash', suite: 'buster/updates', dir: 'main/binary-amd64', algo: 'MD5Sum', hash: MD5 });
    expect(classifyPath(`dists/bookworm/main/binary-amd64/by-hash/SHA512/${'e'.repeat(128)}`)).toMatchObject({ kind: 'by-hash', algo: 'SHA512' });
    expect(classifyPath(`dists/bookworm/main/binary-amd64/by-hash/SHA256/${MD5}`)).toMatchObject({ kind: 'index' });
  });
});

describe('serve: what a Release promises', () => {
  it('maps by-hash names to the listed file, an MD5Sum name only through the SHA256 beside it', () => {
    const r = releaseHashes(RELEASE);
    expect(r.looksComplete).toBe(true);
    expect(byHashTarget(r, 'main/binary-amd64', 'MD5Sum', MD5)).toEqual({ path: 'main/binary-amd64/Packages.gz', size: 1234, md5: MD5, sha256: H256 });
    expect(byHashTarget(r, 'main/binary-amd64', 'SHA256', H256B)?.path).toBe('main/binary-amd64/Packages');
    // listed with MD5Sum only: no SHA256 to check it by
    expect(byHashTarget(r, 'main/i18n', 'MD5Sum', 'd'.repeat(32))).toBeUndefined();
    expect(byHashTarget(r, 'main/binary-amd64', 'SHA256', 'f'.repeat(64))).toBeUndefined();
  });

  it('an HTML page or a Release cut before its file list is not a Release', () => {
    expect(releaseHashes('<html><body>busy</body></html>').looksComplete).toBe(false);
    expect(releaseHashes('Origin: Debian\nSuite: stable\nCodename: bookworm\nSHA256:\n').looksComplete).toBe(false);
  });
});

describe('serve: Range', () => {
  const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;
  it.each([
    [{ range: 'bytes=0-9' }, [0, 9]],
    [{ range: 'bytes=90-' }, [90, 99]],
    [{ range: 'bytes=-10' }, [90, 99]],
    [{ range: 'bytes=50-500' }, [50, 99]],
    [{ range: 'bytes=100-' }, 'unsatisfiable'],
    [{ range: 'bytes=0-1,5-6' }, undefined],
    [{ range: 'bytes=10-', 'if-range': '"abc"' }, [10, 99]],
    [{ range: 'bytes=10-', 'if-range': '"other"' }, undefined],
    [{ range: 'bytes=10-', 'if-range': 'Tue, 14 Nov 2023 20:00:00 GMT' }, [10, 99]],
  ] as const)('%j -> %j', (headers, expected) => {
    expect(requestedRange(req(headers), 100, '"abc"')).toEqual(expected);
  });
});

describe('serve: memory tier', () => {
  it('keeps the most recently used objects within its byte bound, none larger than its object bound', () => {
    const hot = new HotObjects(10, 4);
    hot.set('a', Buffer.alloc(4));
    hot.set('b', Buffer.alloc(4));
    hot.get('a');
    hot.set('c', Buffer.alloc(4));
    hot.set('big', Buffer.alloc(5));
    expect(['a', 'b', 'c', 'big'].map((d) => hot.get(d) !== undefined)).toEqual([true, false, true, false]);
  });
});

describe('leftovers of dead processes', () => {
  it('removes the temp files of pids that are gone, never those of live ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rs-leftovers-'));
    const dead = 2 ** 22 + 7; // above any pid_max
    await mkdir(join(dir, `x.deb.${dead}.abc.part`));
    await mkdir(join(dir, `x.deb.${process.pid}.abc.part`));
    await mkdir(join(dir, 'x.deb'));
    expect(await removeDeadLeftovers(dir, besidePattern('part'))).toEqual([`x.deb.${dead}.abc.part`]);
    expect((await readdir(dir)).sort()).toEqual(['x.deb', `x.deb.${process.pid}.abc.part`]);
    await rm(dir, { recursive: true });
  });
});
