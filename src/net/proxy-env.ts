/**
 * Which proxy a request goes through, from the environment curl and apt read: http_proxy for
 * http URLs, https_proxy for https URLs (lower case first, then upper case), and no_proxy for
 * the hosts that go direct. Pure: the environment is an argument.
 *
 * no_proxy entries, separated by commas or white space: `*` (everything goes direct), a host
 * name that also covers its subdomains (`example.com`, `.example.com` and `*.example.com` all
 * match example.com and a.example.com), `host:port` (that port only), an IP address (v6 with
 * or without brackets) or an IPv4 range in CIDR form.
 */
import { UsageError } from '../errors.js';

export interface ProxyEnv {
  http: URL | undefined;
  https: URL | undefined;
  noProxy: readonly NoProxyRule[];
}

export type NoProxyRule =
  | { kind: 'all' }
  | { kind: 'host'; host: string; port: number | undefined }
  | { kind: 'ip'; match: (ip: string) => boolean; port: number | undefined };

const NONE: ProxyEnv = { http: undefined, https: undefined, noProxy: [] };

export function readProxyEnv(env: Readonly<Record<string, string | undefined>>): ProxyEnv {
  const pick = (lower: string): string | undefined => {
    const v = env[lower] ?? env[lower.toUpperCase()];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const http = pick('http_proxy');
  const https = pick('https_proxy');
  if (http === undefined && https === undefined) return NONE;
  return {
    http: http === undefined ? undefined : parseProxyUrl(http, 'http_proxy'),
    https: https === undefined ? undefined : parseProxyUrl(https, 'https_proxy'),
    noProxy: parseNoProxy(pick('no_proxy') ?? ''),
  };
}

/** A proxy URL; `host:port` alone means http:// as curl reads it. Never echoes the value (it may hold a password). */
export function parseProxyUrl(value: string, variable: string): URL {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new UsageError(variable, 'not a proxy URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(variable, `proxy scheme ${u.protocol.slice(0, -1)} is not supported (http or https)`);
  if (!u.hostname) throw new UsageError(variable, 'a proxy URL without a host');
  return u;
}

export function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of value.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') {
      rules.push({ kind: 'all' });
      continue;
    }
    const { host, port } = splitHostPort(entry);
    const match = ipMatcher(host);
    if (match) {
      rules.push({ kind: 'ip', match, port });
      continue;
    }
    rules.push({ kind: 'host', host: host.replace(/^\*?\.+/, ''), port });
  }
  return rules;
}

/** The proxy for this URL, or undefined when it goes direct. */
export function proxyFor(url: URL, p: ProxyEnv): URL | undefined {
  const proxy = url.protocol === 'https:' ? p.https : url.protocol === 'http:' ? p.http : undefined;
  if (!proxy) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  for (const r of p.noProxy) {
    if (r.kind === 'all') return undefined;
    if (r.port !== undefined && r.port !== port) continue;
    if (r.kind === 'ip') {
      if (r.match(host)) return undefined;
    } else if (host === r.host || host.endsWith(`.${r.host}`)) return undefined;
  }
  return proxy;
}

/** A proxy URL fit to print: scheme, host and port, never its user or password. */
export function redactProxy(u: URL): string {
  return `${u.protocol}//${u.host}`;
}

function splitHostPort(entry: string): { host: string; port: number | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] === undefined ? undefined : Number(bracketed[2]) };
  // a bare IPv6 address has several colons and no port
  const hostPort = /^([^:]+):(\d+)$/.exec(entry);
  if (hostPort) return { host: hostPort[1]!, port: Number(hostPort[2]) };
  return { host: entry, port: undefined };
}

/** A matcher for an IPv4 address or range (a.b.c.d/n) or an IPv6 address; undefined for a host name. */
function ipMatcher(entry: string): ((ip: string) => boolean) | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(entry);
  if (v4) {
    const bits = v4[5] === undefined ? 32 : Math.min(32, Number(v4[5]));
    const net = ipv4(entry.split('/')[0]!)!;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (ip) => {
      const n = ipv4(ip);
      return n !== undefined && ((n & mask) >>> 0) === ((net & mask) >>> 0);
    };
  }
  if (entry.includes(':')) {
    const want = canonicalIpv6(entry);
    return want === undefined ? () => false : (ip) => ip.includes(':') && canonicalIpv6(ip) === want;
  }
  return undefined;
}

function ipv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** WHATWG URL parsing writes an IPv6 address in one canonical form. */
function canonicalIpv6(s: string): string | undefined {
  try {
    return new URL(`http://[${s}]/`).hostname;
  } catch {
    return undefined;
  }
}
