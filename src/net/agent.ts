/**
 * What a command's requests go through: origins are spoken to over ./http1.ts (fixed read
 * buffers, no WebAssembly parser, no undici to load: 15 MB and 20-30 ms of every network
 * command's start); a request a proxy carries (http_proxy, https_proxy, no_proxy) goes through
 * undici and that proxy instead (./undici-agent.ts), loaded on first use, and so does one to a
 * server that speaks only HTTP/2.
 */
import type { Dispatcher } from 'undici';
import { Http1Client } from './http1.js';
import { proxyFor, readProxyEnv, type ProxyEnv } from './proxy-env.js';

export interface AgentOptions {
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** @default 30000 */
  headersTimeoutMs?: number;
  /** @default 60000 */
  bodyTimeoutMs?: number;
  /** Connections per origin. @default 8 */
  connections?: number;
  /** Where http_proxy, https_proxy and no_proxy are read. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

export class HttpAgent {
  readonly http1: Http1Client;
  private readonly options: AgentOptions;
  private readonly proxies: ProxyEnv;
  private dispatcher: Promise<Dispatcher> | undefined;
  private readonly http2Only = new Set<string>();

  constructor(o: AgentOptions = {}) {
    this.options = o;
    this.proxies = readProxyEnv(o.env ?? process.env);
    this.http1 = new Http1Client({
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      headersTimeout: o.headersTimeoutMs ?? 30_000,
      bodyTimeout: o.bodyTimeoutMs ?? 60_000,
      connections: o.connections ?? 8,
      // a 1 MiB read is copied whole into a stream and held by a decompressor while inflated:
      // two index reads peaked 7 MiB higher than with 256 KiB, no faster
      readBuffer: 256 << 10,
    });
  }

  /** The undici dispatcher for a URL that a proxy carries, or whose server speaks only HTTP/2; undefined when it goes over http1. */
  proxied(url: URL): Promise<Dispatcher> | undefined {
    if (proxyFor(url, this.proxies) === undefined && !this.http2Only.has(url.origin)) return undefined;
    return this.undici();
  }

  /**
   * After a direct request failed with e: whether its origin turned out to speak only HTTP/2
   * (its TLS handshake refused HTTP/1.1), from now on asked through undici's HTTP/2 client.
   */
  refusedHttp1(url: URL, e: unknown): boolean {
    // OpenSSL's alert 120, no_application_protocol (RFC 7301), is how such a server says it
    if (!/\bno application protocol\b|alert number 120\b/.test(String((e as Error | undefined)?.message))) return false;
    this.http2Only.add(url.origin);
    return true;
  }

  private undici(): Promise<Dispatcher> {
    this.dispatcher ??= import('./undici-agent.js').then(({ createUndiciAgent }) => createUndiciAgent(this.options));
    return this.dispatcher;
  }

  /** Ends every connection, busy ones too: for a caller whose requests are done. */
  async close(): Promise<void> {
    this.http1.close();
    if (this.dispatcher) await (await this.dispatcher).close();
  }

  /** Ends every connection now. */
  async destroy(): Promise<void> {
    this.http1.close();
    if (this.dispatcher) await (await this.dispatcher).destroy();
  }
}

export function createAgent(o: AgentOptions = {}): HttpAgent {
  return new HttpAgent(o);
}
