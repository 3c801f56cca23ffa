/**
 * The one request function of the project (probe, resolve, diff, bump, serve's upstream): over
 * ./http1.ts to origins, or undici where a proxy applies (./agent.ts); redirects followed by
 * hand hop by hop (so every hop is recorded, each hop retried on its own, and an https to http
 * downgrade refused), every attempt and wait under the retry policy and the total deadline of
 * retry.ts.
 */
import type { Readable } from 'node:stream';
import { AbortError } from 'p-retry';
import type { Dispatcher } from 'undici';
import { HttpAgent, createAgent } from './agent.js';
import { ReproSourcesError, describe } from '../errors.js';
import { Deadline, DeadlineError, RetryableStatusError, defaultSleep, isRetryableStatus, parseRetryAfter, withRetries, type RetryOptions } from './retry.js';

export { defaultSleep, createAgent, HttpAgent, RetryableStatusError };
export type { AgentOptions } from './agent.js';

/** What carries requests: an agent of createAgent, or an undici dispatcher of the caller's own. */
export type Transport = HttpAgent | Dispatcher;

/** A response body to read once, or to drop. */
export type BodyStream = Readable & {
  dump(): Promise<unknown>;
  /** Each chunk is a copy that its reader alone holds, which it may free once done with it. */
  ownChunks?: boolean;
};

export interface FetchOptions extends Omit<RetryOptions, 'onRetry'> {
  /** @default an agent shared by every call */
  dispatcher?: Transport;
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  /** Follow redirects (up to maxRedirects); when false a 3xx is returned as it is. @default true */
  followRedirects?: boolean;
  /** @default 10 */
  maxRedirects?: number;
  /** Read the whole body into memory (small documents). @default true */
  buffer?: boolean;
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
  /** 1 + the retries over all hops (a redirect is not a retry). */
  attempts: number;
  latencyMs: number;
  /** With buffer (the default): the body. */
  body?: Buffer;
  /** Without buffer: the body stream, for the caller to consume (the total bound no longer applies to it). */
  stream?: BodyStream;
}

type Answer = Omit<FetchResult, 'attempts' | 'latencyMs' | 'hops' | 'url'>;

let sharedAgent: HttpAgent | undefined;
function agent(): HttpAgent {
  sharedAgent ??= createAgent();
  return sharedAgent;
}

/** GET (or HEAD) with retries; resolves with the final answer (any status), rejects on network failure after the retries. */
export async function fetchWithRetry(url: string, o: FetchOptions = {}): Promise<FetchResult> {
  const started = performance.now();
  const deadline = new Deadline(o.totalTimeoutMs ?? 300_000, o.signal);
  const hops: string[] = [];
  const max = o.maxRedirects ?? 10;
  let headers: Record<string, string> = { 'user-agent': 'repro-sources', ...(o.headers ?? {}) };
  let attempts = 1;
  let current = url;
  const result = (a: Answer): FetchResult => ({ ...a, url: current, hops, attempts, latencyMs: Math.round(performance.now() - started) });
  try {
    for (;;) {
      hops.push(current);
      const hop = current;
      let lastAnswer: Answer | undefined;
      let answer: Answer;
      try {
        answer = await withRetries(
          async (n, signal) => {
            if (n > 1) attempts++;
            const a = await fetchOnce(hop, headers, o, signal);
            if (isRetryableStatus(a.status)) {
              await a.stream?.dump().catch(() => {});
              const { stream: _drained, ...kept } = a;
              lastAnswer = kept;
              throw new RetryableStatusError(hop, a.status, parseRetryAfter(headerOf(a.headers, 'retry-after'), Date.now()));
            }
            return a;
          },
          {
            ...o,
            deadline,
            onRetry: ({ attempt, error, waitMs }) =>
              o.onAttempt?.({
                attempt,
                url: hop,
                ...(error instanceof RetryableStatusError ? { status: error.status } : { error: describe(error) }),
                ...(waitMs !== undefined ? { waitMs } : {}),
              }),
          },
        );
      } catch (e) {
        // out of retries on a status: hand back the last answer, the caller judges it
        if (e instanceof RetryableStatusError && lastAnswer) return result(lastAnswer);
        throw e;
      }
      const location = headerOf(answer.headers, 'location');
      if (answer.status >= 300 && answer.status < 400 && location && o.followRedirects !== false) {
        await answer.stream?.dump().catch(() => {});
        if (hops.length > max) throw new ReproSourcesError('HTTP', url, `more than ${max} redirects (a loop?): ${hops.slice(-3).join(' -> ')}`);
        const next = new URL(location, current);
        if (next.protocol !== 'https:' && next.protocol !== 'http:') throw new ReproSourcesError('HTTP', current, `redirect to a ${next.protocol} URL refused`);
        if (new URL(current).protocol === 'https:' && next.protocol === 'http:') throw new ReproSourcesError('HTTP', current, `redirect from https to plain http refused: ${next.origin}`);
        // credentials are for the origin they were given for, not for wherever it redirects
        if (next.origin !== new URL(current).origin) headers = withoutCredentials(headers);
        current = next.toString();
        continue;
      }
      return result(answer);
    }
  } catch (e) {
    if (o.signal?.aborted) throw new ReproSourcesError('ABORTED', url, 'cancelled', { cause: e });
    if (e instanceof ReproSourcesError) throw e;
    const why = e instanceof DeadlineError ? e.message : describe(e);
    throw new ReproSourcesError('NETWORK', current, `${why} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, { cause: e });
  } finally {
    deadline.done();
  }
}

/** One request to one URL, no redirect followed. */
async function fetchOnce(url: string, headers: Record<string, string>, o: FetchOptions, signal: AbortSignal): Promise<Answer> {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new AbortError(e as Error);
  }
  const via = o.dispatcher ?? agent();
  let dispatcher = via instanceof HttpAgent ? via.proxied(u) : via;
  if (dispatcher === undefined) {
    const direct = via as HttpAgent;
    try {
      return await fetchDirect(direct.http1, u, headers, o, signal);
    } catch (e) {
      if (!direct.refusedHttp1(u, e)) throw e;
      dispatcher = direct.proxied(u)!;
    }
  }
  const { request } = await import('./undici.js');
  let res: Dispatcher.ResponseData;
  try {
    res = await request(u, { method: o.method ?? 'GET', dispatcher: await dispatcher, headers, signal });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_INVALID_URL' || e instanceof TypeError) throw new AbortError(e as Error);
    throw e;
  }
  if (o.buffer === false) return { status: res.statusCode, headers: res.headers, stream: res.body };
  const body = o.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

/** fetchOnce to an origin itself, over net/http1.ts. */
async function fetchDirect(client: HttpAgent['http1'], u: URL, headers: Record<string, string>, o: FetchOptions, signal: AbortSignal): Promise<Answer> {
  // a bad argument throws a TypeError, which the retry policy does not retry
  const res = await client.request(u, headers, o.method ?? 'GET', undefined, signal);
  if (o.buffer === false) {
    const stream = res.stream();
    return { status: res.statusCode, headers: res.headers, stream: Object.assign(stream, { dump: () => drop(stream), ownChunks: true }) };
  }
  if (o.method === 'HEAD') await res.dump();
  return { status: res.statusCode, headers: res.headers, body: o.method === 'HEAD' ? Buffer.alloc(0) : await res.bytes() };
}

/** Bytes of a dropped body read to keep its connection (a redirect's or an error's page); past them the connection is closed. */
const DROP_READ = 128 << 10;

/** Reads a dropped body to its end if it is short, so its connection can carry the next request. */
function drop(stream: Readable): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.destroyed || stream.readableEnded) return resolve();
    let n = 0;
    stream.on('data', (c: Buffer) => {
      n += c.length;
      if (n > DROP_READ) stream.destroy();
    });
    stream.once('end', resolve).once('close', resolve).once('error', () => resolve());
    stream.resume();
  });
}

function withoutCredentials(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).filter(([k]) => !/^(authorization|proxy-authorization|cookie)$/i.test(k)));
}

/** The first value of a response header (undici gives arrays for repeated ones). */
export function headerOf(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

