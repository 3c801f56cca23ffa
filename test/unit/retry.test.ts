import { describe, expect, it, vi } from 'vitest';
import { backoffMs, defaultSleep, isRetryableError, isRetryableStatus, parseRetryAfter, retryDelayMs } from '../../src/net/retry.js';

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

describe('defaultSleep', () => {
  it('waits the time asked (fake clock), and an abort ends the wait at once', async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      const p = defaultSleep(120_000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(119_999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await p;
      expect(done).toBe(true);
      const ac = new AbortController();
      const q = defaultSleep(3_600_000, ac.signal);
      ac.abort(new Error('stop'));
      await expect(q).rejects.toThrow('stop');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
