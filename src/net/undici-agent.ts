/**
 * The undici dispatcher for requests a proxy carries (./agent.ts sends the rest over
 * ./http1.ts): keep-alive connections with separate connect/headers/body timeouts, and the
 * proxies the environment names (proxy-env.ts). http targets reach an http proxy in absolute
 * form, https targets through CONNECT; hosts no_proxy covers go direct. Without proxy variables
 * it is a plain Agent.
 */
import { Agent, DispatcherBase, ProxyAgent, type Dispatcher } from './undici.js';
import type { AgentOptions } from './agent.js';
import { proxyFor, readProxyEnv, type ProxyEnv } from './proxy-env.js';

export function createUndiciAgent(o: AgentOptions = {}): Dispatcher {
  const settings = {
    connect: { timeout: o.connectTimeoutMs ?? 10_000 },
    headersTimeout: o.headersTimeoutMs ?? 30_000,
    bodyTimeout: o.bodyTimeoutMs ?? 60_000,
    connections: o.connections ?? 8,
    keepAliveTimeout: 10_000,
  };
  const proxies = readProxyEnv(o.env ?? process.env);
  const direct = new Agent(settings);
  if (!proxies.http && !proxies.https) return direct;
  return new ProxyRouter(direct, proxies, settings);
}

type Settings = ConstructorParameters<typeof Agent>[0] & { connect: { timeout: number } };

/** Sends each request direct or through the proxy the environment gives for its origin. */
class ProxyRouter extends DispatcherBase {
  private readonly viaProxy = new Map<string, ProxyAgent>();
  private readonly direct: Dispatcher;
  private readonly proxies: ProxyEnv;
  private readonly settings: Settings;

  constructor(direct: Dispatcher, proxies: ProxyEnv, settings: Settings) {
    super();
    this.direct = direct;
    this.proxies = proxies;
    this.settings = settings;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = new URL(String(options.origin));
    const proxy = proxyFor(origin, this.proxies);
    return (proxy ? this.through(proxy) : this.direct).dispatch(options, handler);
  }

  private through(proxy: URL): ProxyAgent {
    let a = this.viaProxy.get(proxy.href);
    if (!a) {
      a = new ProxyAgent({
        ...this.settings,
        uri: proxy.href,
        connectTimeout: this.settings.connect.timeout,
        // plain http goes to the proxy in absolute form, as curl and apt send it; https is tunnelled
        proxyTunnel: false,
      });
      this.viaProxy.set(proxy.href, a);
    }
    return a;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = Promise.all([this.direct.close(), ...[...this.viaProxy.values()].map((a) => a.close())]).then(() => {});
    if (callback) void p.then(callback, callback);
    else return p;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === 'function' ? null : (a ?? null);
    const callback = typeof a === 'function' ? a : b;
    const p = Promise.all([this.direct.destroy(err), ...[...this.viaProxy.values()].map((x) => x.destroy(err))]).then(() => {});
    if (callback) void p.then(callback, callback);
    else return p;
  }
}
