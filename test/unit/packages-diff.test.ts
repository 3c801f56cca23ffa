import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readIndexText } from '../../src/update/index-read.js';
import { diffVersions, mergeVersions, versionsOf } from '../../src/update/packages-diff.js';

const para = (Package: string, Version: string, Architecture = 'amd64'): string =>
  `Package: ${Package}\nSource: x\nVersion: ${Version}\nInstalled-Size: 1\nArchitecture: ${Architecture}\nDescription: d\n`;

/** A Packages text as the reader gets it: in chunks cut at the given byte sizes. */
async function* chunks(text: string, size = 1 << 20): AsyncGenerator<Uint8Array> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
const index = (...ps: string[]): string => ps.join('\n');

describe('packages diff', () => {
  it('keeps the newest version of each name and architecture, across paragraphs and merged suites', async () => {
    const main = await versionsOf(chunks(index(para('gcc', '4:12.2.0-3'), para('tzdata', '2024a-0+deb12u1', 'all'), para('gcc', '4:12.2.0-3~bpo1'))));
    const updates = await versionsOf(chunks(index(para('tzdata', '2024b-0+deb12u1', 'all'), para('gcc', '4:12.2.0-2'), para('gcc', '4:12.2.0-10'))));
    expect(main.list()).toEqual([
      { package: 'gcc', architecture: 'amd64', version: '4:12.2.0-3' },
      { package: 'tzdata', architecture: 'all', version: '2024a-0+deb12u1' },
    ]);
    expect(mergeVersions(main, updates).list()).toEqual([
      { package: 'gcc', architecture: 'amd64', version: '4:12.2.0-10' },
      { package: 'tzdata', architecture: 'all', version: '2024b-0+deb12u1' },
    ]);
  });

  it('reads only the wanted names', async () => {
    const v = await versionsOf(chunks(index(para('gcc', '1'), para('make', '2'), para('makedev', '3'), para('mak', '4'))), new Set(['make']));
    expect(v.list()).toEqual([{ package: 'make', architecture: 'amd64', version: '2' }]);
  });

  it('reads the same whatever the chunking, and through the line scanner (CRLF, comments, folded and blank-padded values)', async () => {
    const plain = index(...Array.from({ length: 300 }, (_, i) => para(`p${i}`, `1.${i}-1`, i % 3 ? 'amd64' : 'all')), 'Package: noarch\nVersion: 2\n');
    const want = (await versionsOf(chunks(plain))).list();
    expect(want).toHaveLength(301);
    expect(want.at(-1)).toEqual({ package: 'noarch', architecture: '', version: '2' });
    for (const size of [1, 7, 100, 4096]) expect((await versionsOf(chunks(plain, size))).list()).toEqual(want);
    expect((await versionsOf(chunks(plain.replaceAll('\n', '\r\n'), 333))).list()).toEqual(want);
    const odd = `# a comment\n${plain.replace('Version: 1.5-1\n', 'Version:   1.5-1  \n').replace('Description: d\n', 'Description: d\n more\n .\n')}`;
    expect((await versionsOf(chunks(odd, 50))).list()).toEqual(want);
    // no Package or no Version: not a package
    expect((await versionsOf(chunks('Package: a\nArchitecture: all\n\nVersion: 1\n\nPackage: b\nVersion:\n'))).list()).toEqual([]);
  });

  it('takes names and versions as UTF-8 bytes', async () => {
    const v = await versionsOf(chunks(index(para('ü', '1.0-é'))));
    expect(v.list()).toEqual([{ package: 'ü', architecture: 'amd64', version: '1.0-é' }]);
  });

  it('reports changes, additions and removals sorted by name then architecture', async () => {
    const before = await versionsOf(chunks(index(para('zlib1g', '1:1.2.13.dfsg-1'), para('libc6', '2.36-9', 'i386'), para('libc6', '2.36-9'), para('old', '1'))));
    const after = await versionsOf(chunks(index(para('zlib1g', '1:1.2.13.dfsg-1'), para('libc6', '2.36-9+deb12u4'), para('libc6', '2.36-9+deb12u4', 'i386'), para('new', '1', 'all'))));
    expect(diffVersions(before, after)).toEqual({
      changed: [
        { package: 'libc6', architecture: 'amd64', from: '2.36-9', to: '2.36-9+deb12u4' },
        { package: 'libc6', architecture: 'i386', from: '2.36-9', to: '2.36-9+deb12u4' },
      ],
      added: [{ package: 'new', architecture: 'all', version: '1' }],
      removed: [{ package: 'old', architecture: 'amd64', version: '1' }],
    });
  });

  it('finds every name of a table that outgrows its first arrays, and only those', async () => {
    const n = 5000;
    const before = await versionsOf(chunks(index(...Array.from({ length: n }, (_, i) => para(`lib${i}`, `${i}`)))));
    const after = await versionsOf(chunks(index(...Array.from({ length: n }, (_, i) => para(`lib${i + 1}`, i % 1000 === 0 ? `${i + 1}+b1` : `${i + 1}`)))));
    const d = diffVersions(before, after);
    expect(d.removed).toEqual([{ package: 'lib0', architecture: 'amd64', version: '0' }]);
    expect(d.added).toEqual([{ package: `lib${n}`, architecture: 'amd64', version: `${n}` }]);
    expect(d.changed.map((c) => `${c.package} ${c.from} ${c.to}`)).toEqual(['lib1 1 1+b1', 'lib1001 1001 1001+b1', 'lib2001 2001 2001+b1', 'lib3001 3001 3001+b1', 'lib4001 4001 4001+b1']);
  });
});

describe('an index read as it arrives, whatever its compression', () => {
  const text = index(...Array.from({ length: 3000 }, (_, i) => para(`p${i}`, `1.${i}-1`)));
  const want = Array.from({ length: 3000 }, (_, i) => ({ package: `p${i}`, architecture: 'amd64', version: `1.${i}-1` }));
  const feed = async (ext: string, bytes: Buffer, plainSize = 1 << 30): Promise<unknown> => {
    const r = readIndexText({ url: `http://mirror.invalid/Packages${ext}`, ext, plainSize });
    for (let i = 0; i < bytes.length; i += 65536) await r.write(bytes.subarray(i, i + 65536));
    r.end();
    const res = await r.result;
    return 'v' in res ? res.v.list() : (res.e as Error).message;
  };

  it.each([
    ['', () => Buffer.from(text)],
    ['.gz', () => gzipSync(text)],
    ['.xz', () => execFileSync('xz', ['-c'], { input: text })],
  ])('%s', async (ext, bytes) => {
    expect(await feed(ext, bytes())).toEqual(want);
    expect(await feed(ext, bytes(), 1000)).toBe(`it inflates to more than the 1000 bytes its Release gives`);
  });
});
