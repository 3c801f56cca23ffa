import { describe, expect, it } from 'vitest';
import { checkRelease, parseRelease, releaseTime } from '../../src/probe/release.js';

const signed = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Origin: Debian
Suite: oldoldstable
Codename: buster
Date: Sat, 10 Jun 2023 08:53:33 UTC
Valid-Until: Sat, 17 Jun 2023 08:53:33 UTC
Architectures: amd64 arm64 i386
Components: updates/main updates/contrib
SHA256:
 ${'a'.repeat(64)}   123 main/binary-amd64/Packages.xz
 ${'b'.repeat(64)}  4567 main/i18n/Translation-en.bz2
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCgAdFiEE
-----END PGP SIGNATURE-----
`;

const ubuntu = `Origin: Ubuntu
Label: Ubuntu
Suite: noble-updates
Version: 24.04
Codename: noble
Date: Thu, 14 Nov 2024 18:03:55 UTC
Architectures: amd64 arm64 armhf i386 ppc64el riscv64 s390x
Components: main restricted universe multiverse
Description: Ubuntu Noble Updates
MD5Sum:
 ${'c'.repeat(32)}  99 main/binary-amd64/Packages
SHA256:
 ${'d'.repeat(64)}  99 main/binary-amd64/Packages
`;

describe('parseRelease', () => {
  it('reads the fields of a clearsigned InRelease, and the SHA256 list only', () => {
    const r = parseRelease(signed);
    expect({ ...r, sha256: [...r.sha256] }).toEqual({
      origin: 'Debian',
      suite: 'oldoldstable',
      codename: 'buster',
      date: 'Sat, 10 Jun 2023 08:53:33 UTC',
      validUntil: 'Sat, 17 Jun 2023 08:53:33 UTC',
      architectures: ['amd64', 'arm64', 'i386'],
      components: ['updates/main', 'updates/contrib'],
      sha256: [
        ['main/binary-amd64/Packages.xz', { sha256: 'a'.repeat(64), size: 123 }],
        ['main/i18n/Translation-en.bz2', { sha256: 'b'.repeat(64), size: 4567 }],
      ],
    });
  });

  it('reads a plain Release; fields that are absent stay absent', () => {
    const r = parseRelease(ubuntu);
    expect(r).toMatchObject({ origin: 'Ubuntu', label: 'Ubuntu', suite: 'noble-updates', codename: 'noble', components: ['main', 'restricted', 'universe', 'multiverse'] });
    expect('validUntil' in r).toBe(false);
    expect([...r.sha256.keys()]).toEqual(['main/binary-amd64/Packages']);
    expect(parseRelease('')).toEqual({ architectures: [], components: [], sha256: new Map() });
  });
});

describe('releaseTime', () => {
  it('reads the RFC 2822 dates Release files carry, UTC or GMT', () => {
    expect(releaseTime('Sat, 10 Jun 2023 08:53:33 UTC')).toBe(1686387213);
    expect(releaseTime('Sat, 10 Jun 2023 08:53:33 GMT')).toBe(1686387213);
    expect(releaseTime('Sat, 10 Jun 2023 10:53:33 +0200')).toBe(1686387213);
    expect(releaseTime('yesterday')).toBeUndefined();
    expect(releaseTime(undefined)).toBeUndefined();
  });
});

describe('checkRelease', () => {
  const buster = parseRelease(signed);
  const noble = parseRelease(ubuntu);

  it('matches old security suites and their updates/ components', () => {
    expect(checkRelease(buster, 'buster/updates', ['main', 'non-free'], ['amd64', 'armhf', 'all'])).toEqual({
      suiteMatches: true,
      missingComponents: ['non-free'],
      missingArchitectures: ['armhf'],
    });
  });

  it('takes the suite by Codename or by Suite, and nothing else', () => {
    expect(checkRelease(noble, 'noble-updates', ['main']).suiteMatches).toBe(true);
    expect(checkRelease(noble, 'noble', ['main']).suiteMatches).toBe(true);
    expect(checkRelease(buster, 'oldoldstable', ['main']).suiteMatches).toBe(true);
    expect(checkRelease(buster, 'bullseye', ['main']).suiteMatches).toBe(false);
    expect(checkRelease(noble, 'jammy-updates', ['main']).suiteMatches).toBe(false);
  });

  it('judges components by their first part, and says nothing when the Release lists none', () => {
    expect(checkRelease(noble, 'noble-updates', ['main/debian-installer', 'universe', 'non-free-firmware']).missingComponents).toEqual(['non-free-firmware']);
    expect(checkRelease(parseRelease('Suite: x\n'), 'x', ['main'], ['amd64'])).toEqual({ suiteMatches: true, missingComponents: [], missingArchitectures: [] });
  });
});
