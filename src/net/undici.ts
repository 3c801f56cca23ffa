/**
 * The parts of undici this project uses, Agent, ProxyAgent and request, loaded from undici's own modules
 * rather than its index: the index also builds fetch, WebSocket, EventSource, mocks and caches,
 * loading http2, tls, zlib, dns, worker_threads and Node's own copy of undici on the way. That
 * was 105-120 ms of every network command's start, against 35 ms for these modules. These paths
 * are undici's internals, so package.json pins one release exactly: moving to a newer
 * undici is a deliberate change, which the test suite checks.
 */
import type { Dispatcher } from 'undici';
import AgentImpl from 'undici/lib/dispatcher/agent.js';
import ProxyAgentImpl from 'undici/lib/dispatcher/proxy-agent.js';
import DispatcherImpl from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';

// what undici's index does to give every dispatcher its request() method
Object.assign(DispatcherImpl.prototype, api);

export type { Dispatcher };
export type Agent = import('undici').Agent;
export const Agent: typeof import('undici').Agent = AgentImpl;
export type ProxyAgent = import('undici').ProxyAgent;
export const ProxyAgent: typeof import('undici').ProxyAgent = ProxyAgentImpl;
/** The base class of every dispatcher (what a dispatcher of our own extends). */
export const DispatcherBase: typeof import('undici').Dispatcher = DispatcherImpl;

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  dispatcher: Dispatcher;
  method?: Dispatcher.HttpMethod;
};

/** undici's request(url, options), always on an explicit dispatcher. */
export function request(url: string | URL, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const u = typeof url === 'string' ? new URL(url) : url;
  const { dispatcher, ...rest } = options;
  return dispatcher.request({
    ...rest,
    origin: u.origin,
    path: u.search ? `${u.pathname}${u.search}` : u.pathname,
    method: options.method ?? (options.body ? 'PUT' : 'GET'),
  });
}
