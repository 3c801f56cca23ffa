/**
 * Every HTTP request serve makes to a snapshot service goes through `upstreamGet`: one place to
 * change the HTTP client. Retries (429, 5xx, network errors) happen inside; the answer is the
 * final status with the body as a stream for the caller to consume or drop.
 */
import type { Readable } from 'node:stream';
import { createAgent, fetchWithRetry, headerOf, type Transport } from '../net/request.js';

export interface UpstreamOptions {
  retries?: number;
  maxWaitMs?: number;
  dispatcher?: Transport;
}

export interface UpstreamAnswer {
  status: number;
  /** Content-Length when the server sent one: a body shorter than it is cut off. */
  length: number | undefined;
  location: string | undefined;
  /** The body; callers that don't read it call `drop`. */
  body: Readable;
  drop(): Promise<void>;
}

export interface Upstream {
  get(url: string, o?: { followRedirects?: boolean }): Promise<UpstreamAnswer>;
  /** Ends every request still under way (serve calls it once its drain deadline has passed). */
  close(): Promise<void>;
}

export function createUpstream(o: UpstreamOptions = {}): Upstream {
  const dispatcher = o.dispatcher ?? createAgent();
  return {
    async get(url, g = {}) {
      const r = await fetchWithRetry(url, { dispatcher, retries: o.retries ?? 4, maxWaitMs: o.maxWaitMs ?? 30_000, buffer: false, followRedirects: g.followRedirects ?? true });
      const length = headerOf(r.headers, 'content-length');
      const body = r.stream!;
      return {
        status: r.status,
        length: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
        location: headerOf(r.headers, 'location'),
        body,
        drop: async () => {
          await r.stream?.dump().catch(() => {});
        },
      };
    },
    async close() {
      if (!o.dispatcher) await dispatcher.destroy();
    },
  };
}
