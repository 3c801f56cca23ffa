import { describe, expect, it } from 'vitest';
import { diffVersions, mergeVersions, versionsOf } from '../../src/update/packages-diff.js';

const para = (Package: string, Version: string, Architecture = 'amd64'): Map<string, string> =>
  new Map([
    ['Package', Package],
    ['Version', Version],
    ['Architecture', Architecture],
  ]);

async function* batches(...bs: Map<string, string>[][]): AsyncGenerator<Map<string, string>[]> {
  yield* bs;
}

describe('packages diff', () => {
  it('keeps the newest version of each name and architecture, across batches and merged suites', async () => {
    const main = await versionsOf(batches([para('gcc', '4:12.2.0-3'), para('tzdata', '2024a-0+deb12u1', 'all')], [para('gcc', '4:12.2.0-3~bpo1')]));
    const updates = await versionsOf(batches([para('tzdata', '2024b-0+deb12u1', 'all'), para('gcc', '4:12.2.0-2')]));
    expect(mergeVersions(main, updates)).toEqual(
      new Map([
        ['amd64', new Map([['gcc', '4:12.2.0-3']])],
        ['all', new Map([['tzdata', '2024b-0+deb12u1']])],
      ]),
    );
  });

  it('reads only the wanted names', async () => {
    const v = await versionsOf(batches([para('gcc', '1'), para('make', '2')]), new Set(['make']));
    expect(v).toEqual(new Map([['amd64', new Map([['make', '2']])]]));
  });

  it('reports changes, additions and removals sorted by name then architecture', async () => {
    const before = await versionsOf(batches([para('zlib1g', '1:1.2.13.dfsg-1'), para('libc6', '2.36-9', 'i386'), para('libc6', '2.36-9'), para('old', '1')]));
    const after = await versionsOf(batches([para('zlib1g', '1:1.2.13.dfsg-1'), para('libc6', '2.36-9+deb12u4'), para('libc6', '2.36-9+deb12u4', 'i386'), para('new', '1', 'all')]));
    expect(diffVersions(before, after)).toEqual({
      changed: [
        { package: 'libc6', architecture: 'amd64', from: '2.36-9', to: '2.36-9+deb12u4' },
        { package: 'libc6', architecture: 'i386', from: '2.36-9', to: '2.36-9+deb12u4' },
      ],
      added: [{ package: 'new', architecture: 'all', version: '1' }],
      removed: [{ package: 'old', architecture: 'amd64', version: '1' }],
    });
  });
});
