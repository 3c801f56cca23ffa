/**
 * The one place `fetch` of a lock talks HTTP: GET a URL, follow redirects (snapshot.debian.org
 * answers every file with a 302) hop by hop, hand the body to a synchronous sink. Origins are
 * read with net/http1.ts (fixed buffers, no copies); when a proxy applies (http_proxy,
 * https_proxy, no_proxy) the request goes through undici and that proxy instead, as the
 * registry's reads do.
 */
import { Http1Client } from '../net/http1.js';
import { proxyFor, readProxyEnv, type ProxyEnv } from '../net/proxy-env.js';
import { RetryableStatusError, isRetryableStatus, parseRetryAfter } from '../net/retry.js';
import { ReproSourcesError } from '../errors.js';

export interface Downloader {
  /** The body of url, chunk by chunk (a chunk is valid only during the call); resolves to the byte count. */
  get(url: string, sink: (chunk: Buffer) => void): Promise<number>;
  close(): void;
}

interface Answer {
  status: number;
  location: string | undefined;
  retryAfter: string | undefined;
  read(sink: (chunk: Buffer) => void): Promise<number>;
  dump(): Promise<void>;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export function createDownloader(o: { maxRedirects?: number; env?: Readonly<Record<string, string | undefined>> } = {}): Downloader {
  const client = new Http1Client();
  const proxies: ProxyEnv = readProxyEnv(o.env ?? process.env);
  let proxied: Promise<(url: string) => Promise<Answer>> | undefined;
  const viaProxy = (): Promise<(url: string) => Promise<Answer>> =>
    (proxied ??= (async () => {
      const { fetchWithRetry } = await import('../net/request.js');
      return async (url: string): Promise<Answer> => {
        // one attempt here: the caller's retry policy decides about another
        const r = await fetchWithRetry(url, { buffer: false, followRedirects: false, retries: 0 });
        const body = r.stream!;
        return {
          status: r.status,
          location: first(r.headers.location),
          retryAfter: first(r.headers['retry-after']),
          read: async (sink) => {
            let n = 0;
            for await (const c of body as AsyncIterable<Buffer>) {
              n += c.length;
              sink(c);
            }
            return n;
          },
          dump: () => body.dump().then(() => {}),
        };
      };
    })());
  const direct = async (url: string): Promise<Answer> => {
    const res = await client.request(url, { 'user-agent': 'repro-sources' });
    return {
      status: res.statusCode,
      location: first(res.headers.location),
      retryAfter: first(res.headers['retry-after']),
      read: (sink) => res.read(sink),
      dump: () => res.dump(),
    };
  };
  const max = o.maxRedirects ?? 10;
  return {
    async get(url, sink) {
      let current = url;
      for (let hops = 0; ; hops++) {
        const res = await (proxyFor(new URL(current), proxies) ? (await viaProxy())(current) : direct(current));
        if (res.status >= 300 && res.status < 400 && res.location !== undefined) {
          await res.dump().catch(() => {});
          if (hops >= max) throw new ReproSourcesError('HTTP', url, `more than ${max} redirects`);
          const next = new URL(res.location, current);
          if (new URL(current).protocol === 'https:' && next.protocol === 'http:') throw new ReproSourcesError('HTTP', current, `refused a redirect from https to plain http (${next.origin})`);
          current = next.toString();
          continue;
        }
        if (res.status !== 200) {
          await res.dump().catch(() => {});
          if (isRetryableStatus(res.status)) throw new RetryableStatusError(current, res.status, parseRetryAfter(res.retryAfter, Date.now()));
          throw new ReproSourcesError(res.status === 404 ? 'NOT_FOUND' : 'HTTP', current, `HTTP ${res.status}`, { exitCode: 1 });
        }
        return res.read(sink);
      }
    },
    close: () => client.close(),
  };
}
