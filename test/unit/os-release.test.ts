import { describe, expect, it } from 'vitest';
import { distroOf, parseOsRelease } from '../../src/apt/os-release.js';

describe('os-release', () => {
  it('reads quoted and unquoted values and skips comments', () => {
    expect(parseOsRelease('# c\nNAME="Debian GNU/Linux"\nID=debian\nVERSION="12 (bookworm)"\nX=\'a b\'\nY="q\\"x"\nbad line\n')).toEqual({
      NAME: 'Debian GNU/Linux',
      ID: 'debian',
      VERSION: '12 (bookworm)',
      X: 'a b',
      Y: 'q"x',
    });
  });

  it.each([
    ['ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', { distro: 'debian', codename: 'bookworm', versionId: '12' }],
    ['ID=debian\nVERSION="9 (stretch)"\n', { distro: 'debian', codename: 'stretch', versionId: undefined }],
    ['ID=debian\nPRETTY_NAME="Debian GNU/Linux trixie/sid"\n', { distro: 'debian', codename: undefined, versionId: undefined }],
    ['ID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nUBUNTU_CODENAME=noble\n', { distro: 'ubuntu', codename: 'noble', versionId: '24.04' }],
    ['ID=ubuntu\nVERSION="16.04.7 LTS (Xenial Xerus)"\nUBUNTU_CODENAME=xenial\n', { distro: 'ubuntu', codename: 'xenial', versionId: undefined }],
    ['ID=linuxmint\nID_LIKE="ubuntu debian"\nUBUNTU_CODENAME=jammy\nVERSION_CODENAME=virginia\n', { distro: 'ubuntu', codename: 'virginia', versionId: undefined }],
    ['ID=alpine\n', { distro: undefined, codename: undefined, versionId: undefined }],
  ])('distroOf %j', (text, expected) => {
    expect(distroOf(parseOsRelease(text))).toEqual(expected);
  });
});
