import { describe, expect, it } from 'vitest';
import { aptPrintUris } from '../helpers/apt.js';

describe('isolated apt (the test judge)', () => {
  it('prints the exact index URLs of a deb822 snapshot source', async () => {
    const uris = await aptPrintUris({
      'debian.sources': [
        'Types: deb',
        'URIs: http://snapshot.debian.org/archive/debian/20240101T000000Z/',
        'Suites: bookworm',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        'Check-Valid-Until: no',
        '',
      ].join('\n'),
    });
    expect(uris).toEqual([
      'http://snapshot.debian.org/archive/debian/20240101T000000Z/dists/bookworm/InRelease',
      'http://snapshot.debian.org/archive/debian/20240101T000000Z/dists/bookworm/main/binary-amd64/Packages.xz',
      'http://snapshot.debian.org/archive/debian/20240101T000000Z/dists/bookworm/main/binary-all/Packages.xz',
    ]);
  });
});
