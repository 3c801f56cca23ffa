/**
 * The one retry policy of every request the project makes (probe, resolve, diff, bump, serve's
 * upstream, the registry client): when to try again and how long to wait first. Snapshot
 * servers answer load with 429 and 5xx and cut connections (shared research notes, 1.7); apt
 * itself treats 408, 429 and 5xx as transient. 404 and 410 are answers, not failures, and are
 * never retried. Waits are exponential with jitter, Retry-After is honoured up to a cap, and a
 * total deadline bounds the whole: a wait that would overrun it is not waited.
 */
import pRetry from 'p-retry';

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

/** A response worth another try (429, 5xx ...), as an error the policy can see. */
export class RetryableStatusError extends Error {
  override name = 'RetryableStatusError';
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  /** What answered (a URL). */
  readonly subject: string;
  constructor(subject: string, status: number, retryAfterMs: number | undefined) {
    super(`HTTP ${status}`);
    this.subject = subject;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Thrown when the total deadline ends a call; `cause` holds the last failure. */
export class DeadlineError extends Error {
  override name = 'DeadlineError';
  readonly code = 'DEADLINE';
}

export interface RetryOptions extends BackoffOptions {
  /** Retries after the first attempt. @default 4 */
  retries?: number;
  /** Cap on one wait, Retry-After included. @default 60000 */
  maxWaitMs?: number;
  /** Cap on the whole call, waits and attempts included. @default 300000 */
  totalTimeoutMs?: number;
  signal?: AbortSignal;
  /** Waits; tests pass one that records. @default defaultSleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Which failures are worth another try. @default RetryableStatusError and isRetryableError */
  retryIf?: (error: unknown) => boolean;
  /** After each failed attempt that may be retried: the failure, and the wait before the next (absent when the call ends). */
  onRetry?: (a: { attempt: number; error: unknown; waitMs?: number }) => void;
}

export function isWorthRetrying(e: unknown): boolean {
  return e instanceof RetryableStatusError || isRetryableError(e);
}

/** A total deadline, shared by the attempts and waits of one call (and the hops of a redirect chain). */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly end: number;
  private readonly timer: ReturnType<typeof setTimeout>;
  private readonly controller = new AbortController();

  constructor(totalMs: number, outer?: AbortSignal) {
    this.end = performance.now() + totalMs;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineError(`no answer within ${totalMs / 1000}s`)), totalMs);
    this.timer.unref?.();
    this.signal = outer ? AbortSignal.any([outer, this.controller.signal]) : this.controller.signal;
  }

  remainingMs(): number {
    return this.end - performance.now();
  }

  /** Whether the deadline (not the caller) ended the call. */
  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  get reason(): unknown {
    return this.controller.signal.reason;
  }

  done(): void {
    clearTimeout(this.timer);
  }
}

/**
 * Runs fn until it succeeds, again after a RetryableStatusError or a retryable network error,
 * at most `retries` more times and within the deadline. Rethrows the last failure.
 */
export async function withRetries<T>(fn: (attempt: number, signal: AbortSignal) => Promise<T>, o: RetryOptions & { deadline?: Deadline } = {}): Promise<T> {
  const deadline = o.deadline ?? new Deadline(o.totalTimeoutMs ?? 300_000, o.signal);
  const { signal } = deadline;
  const sleep = o.sleep ?? defaultSleep;
  const maxWait = o.maxWaitMs ?? 60_000;
  try {
    return await pRetry((attempt) => fn(attempt, signal), {
      retries: o.retries ?? 4,
      // the waits are ours (Retry-After, jitter, caps): p-retry only counts
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      signal,
      shouldRetry: async ({ error, attemptNumber }) => {
        if (signal.aborted) return false;
        if (!(o.retryIf ?? isWorthRetrying)(error)) return false;
        const retryAfter = error instanceof RetryableStatusError ? error.retryAfterMs : undefined;
        const waitMs = retryDelayMs(attemptNumber, retryAfter, maxWait, o);
        const retrying = waitMs < deadline.remainingMs();
        o.onRetry?.({ attempt: attemptNumber, error, ...(retrying ? { waitMs } : {}) });
        if (!retrying) return false;
        await sleep(waitMs, signal);
        return true;
      },
    });
  } catch (e) {
    if (deadline.expired && !(e instanceof RetryableStatusError)) throw new DeadlineError((deadline.reason as Error).message, { cause: e });
    throw e;
  } finally {
    if (!o.deadline) deadline.done();
  }
}
