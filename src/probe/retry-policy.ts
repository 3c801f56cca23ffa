/**
 * When to try a request again and how long to wait first. Snapshot servers answer load with
 * 429 and 5xx and cut connections (shared research notes, 1.7); apt itself treats 408, 429
 * and 5xx as transient. 404 and 410 are answers, not failures, and are never retried. Pure.
 */

const RETRY_STATUS = new Set([408, 425, 429]);

export function isRetryableStatus(status: number): boolean {
  return RETRY_STATUS.has(status) || (status >= 500 && status <= 599);
}

/** undici's and Node's codes for a connection that failed, stalled or broke. */
const RETRY_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RESPONSE_STATUS_CODE',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export function isRetryableError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && RETRY_CODES.has(code)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Retry-After as milliseconds: delay-seconds or an HTTP-date (RFC 9110 10.2.3). Undefined
 * when absent or unparsable, so the normal backoff applies.
 */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - nowMs);
}

export interface BackoffOptions {
  /** First delay before jitter. @default 500 */
  baseMs?: number;
  /** Largest delay. @default 30000 */
  maxMs?: number;
  /** A number in [0, 1). @default Math.random */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half random,
 * so concurrent clients spread out without ever retrying at once.
 */
export function backoffMs(retry: number, o: BackoffOptions = {}): number {
  const base = o.baseMs ?? 500;
  const max = o.maxMs ?? 30_000;
  const exp = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  return Math.round(exp / 2 + (o.random ?? Math.random)() * (exp / 2));
}

/** The wait before retry number `retry` (1-based): Retry-After when the server said, else backoff; both capped. */
export function retryDelayMs(retry: number, retryAfterMs: number | undefined, maxWaitMs: number, o: BackoffOptions = {}): number {
  const d = retryAfterMs ?? backoffMs(retry, o);
  return Math.min(d, maxWaitMs);
}

/** A wait that an AbortSignal ends at once (rejecting with the signal's reason). */
export const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
