import { describe, expect, it } from 'vitest';
import { backoffMs, isRetryableError, isRetryableStatus, parseRetryAfter, retryDelayMs } from '../../src/probe/retry-policy.js';
import { checkRelease, parseRelease, releaseTime } from '../../src/probe/release.js';

describe('retry policy', () => {
  it.each([
    [408, true], [425, true], [429, true], [500, true], [502, true], [503, true], [509, true], [599, true],
    [200, false], [301, false], [400, false], [401, false], [403, false], [404, false], [410, false], [416, false],
  ])('status %i retryable: %s', (status, expected) => {
    expect(isRetryableStatus(status)).toBe(expected);
  });

  it('retries connection failures and timeouts, also when wrapped in a cause', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']) {
      expect(isRetryableError(Object.assign(new Error('x'), { code }))).toBe(true);
    }
    expect(isRetryableError(new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) }))).toBe(true);
    expect(isRetryableError(new TypeError('bad url'))).toBe(false);
    expect(isRetryableError(Object.assign(new Error('x'), { code: 'ERR_INVALID_URL' }))).toBe(false);
  });

  it('reads Retry-After as seconds or an HTTP date, else nothing', () => {
    const now = Date.parse('Tue, 14 Nov 2023 22:13:20 GMT');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Tue, 14 Nov 2023 22:14:20 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Tue, 14 Nov 2023 22:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('backs off exponentially with equal jitter, capped', () => {
    expect([1, 2, 3, 4].map((r) => backoffMs(r, { random: () => 0 }))).toEqual([250, 500, 1000, 2000]);
    expect([1, 2, 3, 4].map((r) => backoffMs(r, { random: () => 0.999999 }))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(20, { random: () => 0, maxMs: 30_000 })).toBe(15_000);
    expect(retryDelayMs(1, 90_000, 60_000)).toBe(60_000);
    expect(retryDelayMs(3, undefined, 100, { random: () => 0 })).toBe(100);
  });
});

describe('Release', () => {
  const text = `-----BEGIN PGP SIGNED MESSAGE-----
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
-----BEGIN PGP SIGNATURE-----

x
-----END PGP SIGNATURE-----
`;
  it('parses fields and hashes', () => {
    const r = parseRelease(text);
    expect(r).toMatchObject({ origin: 'Debian', suite: 'oldoldstable', codename: 'buster', validUntil: 'Sat, 17 Jun 2023 08:53:33 UTC', architectures: ['amd64', 'arm64', 'i386'] });
    expect(r.sha256.get('main/binary-amd64/Packages.xz')).toEqual({ sha256: 'a'.repeat(64), size: 123 });
    expect(releaseTime(r.date)).toBe(1686387213);
  });

  it('matches old security suites and their updates/ components', () => {
    expect(checkRelease(parseRelease(text), 'buster/updates', ['main', 'non-free'], ['amd64', 'armhf', 'all'])).toEqual({
      suiteMatches: true,
      missingComponents: ['non-free'],
      missingArchitectures: ['armhf'],
    });
    expect(checkRelease(parseRelease(text), 'bullseye', ['main']).suiteMatches).toBe(false);
  });
});
