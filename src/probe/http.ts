/**
 * The network edge shared by probe, resolve and diff: undici with keep-alive and separate
 * connect/headers/body timeouts, redirects followed by hand (so every hop is recorded), and
 * retries through p-retry with the waits of retry-policy.ts.
 */
import pRetry, { AbortError } from 'p-retry';
import { Agent, request, type Dispatcher } from '../net/undici.js';
import { ReproSourcesError } from '../errors.js';
import { defaultSleep, isRetryableError, isRetryableStatus, parseRetryAfter, retryDelayMs, type BackoffOptions } from './retry-policy.js';

export { defaultSleep };

export interface AgentOptions {
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** @default 30000 */
  headersTimeoutMs?: number;
  /** @default 60000 */
  bodyTimeoutMs?: number;
  /** Connections per origin. @default 8 */
  connections?: number;
}

export function createAgent(o: AgentOptions = {}): Agent {
  return new Agent({
    connect: { timeout: o.connectTimeoutMs ?? 10_000 },
    headersTimeout: o.headersTimeoutMs ?? 30_000,
    bodyTimeout: o.bodyTimeoutMs ?? 60_000,
    connections: o.connections ?? 8,
    keepAliveTimeout: 10_000,
  });
}

export interface FetchOptions extends BackoffOptions {
  dispatcher?: Dispatcher;
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Follow redirects (up to maxRedirects); when false a 3xx is returned as it is. @default true */
  followRedirects?: boolean;
  /** @default 10 */
  maxRedirects?: number;
  /** Retries after the first attempt. @default 4 */
  retries?: number;
  /** Cap on one wait, Retry-After included. @default 60000 */
  maxWaitMs?: number;
  /** Cap on the whole call, waits and the attempt in flight included (not the reading of a streamed body). @default 300000 */
  totalTimeoutMs?: number;
  signal?: AbortSignal;
  /** Read the whole body into memory (small documents). @default true */
  buffer?: boolean;
  /** Waits; tests pass one that records. @default defaultSleep */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** After each failed attempt that may be retried: the status or error, and the wait before the next (absent when the total bound ends the call). */
  onAttempt?: (a: { attempt: number; url: string; status?: number; error?: string; waitMs?: number }) => void;
}

export interface FetchResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The URL that answered (after redirects). */
  url: string;
  /** Every URL requested, in order. */
  hops: string[];
  attempts: number;
  latencyMs: number;
  /** With buffer (the default): the body. */
  body?: Buffer;
  /** Without buffer: the body stream, for the caller to consume. */
  stream?: Dispatcher.ResponseData['body'];
}

/** A response worth another try (429, 5xx ...), as an error p-retry can see. */
export class RetryableStatusError extends ReproSourcesError {
  override name = 'RetryableStatusError';
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  constructor(url: string, status: number, retryAfterMs: number | undefined) {
    super('HTTP', url, `HTTP ${status}`);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

let sharedAgent: Agent | undefined;
function agent(): Agent {
  sharedAgent ??= createAgent();
  return sharedAgent;
}

/** GET (or HEAD) with retries; resolves with the final answer (any status), rejects on network failure after the retries. */
export async function fetchWithRetry(url: string, o: FetchOptions = {}): Promise<FetchResult> {
  const started = performance.now();
  const total = o.totalTimeoutMs ?? 300_000;
  const sleep = o.sleep ?? defaultSleep;
  const maxWait = o.maxWaitMs ?? 60_000;
  let attempts = 0;
  let lastAnswer: Omit<FetchResult, 'attempts' | 'latencyMs'> | undefined;
  // the total bound also cuts an attempt in flight; a streamed body, once handed over, is the caller's
  const overall = new AbortController();
  const timer = setTimeout(() => overall.abort(new Error(`no answer within ${total / 1000}s`)), total);
  timer.unref?.();
  const signal = o.signal ? AbortSignal.any([o.signal, overall.signal]) : overall.signal;
  const each: FetchOptions = { ...o, signal };
  const run = async (): Promise<FetchResult> => {
    attempts++;
    const r = await fetchOnce(url, each);
    if (isRetryableStatus(r.status)) {
      await r.stream?.dump().catch(() => {});
      const { stream: _drained, ...answer } = r;
      lastAnswer = answer;
      throw new RetryableStatusError(r.url, r.status, parseRetryAfter(headerOf(r.headers, 'retry-after'), Date.now()));
    }
    return { ...r, attempts, latencyMs: Math.round(performance.now() - started) };
  };
  try {
    return await pRetry(run, {
      retries: o.retries ?? 4,
      // the waits are ours (Retry-After, jitter, caps): p-retry only counts
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      signal,
      onFailedAttempt: () => {},
      shouldRetry: async ({ error, attemptNumber }) => {
        if (signal.aborted) return false;
        if (!(error instanceof RetryableStatusError) && !isRetryableError(error)) return false;
        const retryAfter = error instanceof RetryableStatusError ? error.retryAfterMs : undefined;
        const waitMs = retryDelayMs(attemptNumber, retryAfter, maxWait, o);
        // a wait that would overrun the total bound is not waited: the call ends now
        const retrying = waitMs < total - (performance.now() - started);
        o.onAttempt?.({
          attempt: attemptNumber,
          url,
          ...(error instanceof RetryableStatusError ? { status: error.status } : { error: describe(error) }),
          ...(retrying ? { waitMs } : {}),
        });
        if (!retrying) return false;
        await sleep(waitMs, signal);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof RetryableStatusError) {
      // out of retries: hand back the last answer as a result, the caller judges it
      return { ...lastAnswer!, attempts, latencyMs: Math.round(performance.now() - started) };
    }
    if (o.signal?.aborted) throw new ReproSourcesError('ABORTED', url, 'cancelled', { cause: e });
    if (e instanceof ReproSourcesError) throw e;
    const why = overall.signal.aborted ? describe(overall.signal.reason) : describe(e);
    throw new ReproSourcesError('NETWORK', url, `${why} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** One request, redirects followed by hand. */
async function fetchOnce(url: string, o: FetchOptions): Promise<Omit<FetchResult, 'attempts' | 'latencyMs'>> {
  const hops: string[] = [];
  let current = url;
  const max = o.maxRedirects ?? 10;
  let headers: Record<string, string> = { 'user-agent': 'repro-sources', ...(o.headers ?? {}) };
  for (;;) {
    hops.push(current);
    const res = await request(current, {
      method: o.method ?? 'GET',
      dispatcher: o.dispatcher ?? agent(),
      headers,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const location = headerOf(res.headers, 'location');
    if (res.statusCode >= 300 && res.statusCode < 400 && location && o.followRedirects !== false) {
      await res.body.dump();
      if (hops.length > max) throw new AbortError(new ReproSourcesError('HTTP', url, `more than ${max} redirects (a loop?): ${hops.slice(-3).join(' -> ')}`));
      const next = new URL(location, current);
      // credentials are for the origin they were given for, not for wherever it redirects
      if (next.origin !== new URL(current).origin) headers = withoutCredentials(headers);
      current = next.toString();
      continue;
    }
    if (o.buffer === false) return { status: res.statusCode, headers: res.headers, url: current, hops, stream: res.body };
    const body = o.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.body.arrayBuffer());
    return { status: res.statusCode, headers: res.headers, url: current, hops, body };
  }
}

function withoutCredentials(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !/^(authorization|proxy-authorization|cookie)$/i.test(k)));
}

/** The first value of a response header (undici gives arrays for repeated ones). */
export function headerOf(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: string }).code;
    return code ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
