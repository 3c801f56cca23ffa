import { describe, expect, it } from 'vitest';
import { parseProxyUrl, proxyFor, readProxyEnv, redactProxy } from '../../src/net/proxy-env.js';

const via = (url: string, env: Record<string, string>): string | undefined => {
  const p = proxyFor(new URL(url), readProxyEnv(env));
  return p && redactProxy(p);
};

describe('proxy environment', () => {
  it('http_proxy for http, https_proxy for https; lower case before upper case; empty is unset', () => {
    const env = { http_proxy: 'http://h:3128', HTTP_PROXY: 'http://upper:1', HTTPS_PROXY: 'http://s:8080' };
    expect(via('http://a.example/x', env)).toBe('http://h:3128');
    expect(via('https://a.example/x', env)).toBe('http://s:8080');
    expect(via('http://a.example/x', { HTTP_PROXY: 'http://upper:1' })).toBe('http://upper:1');
    expect(via('https://a.example/x', { http_proxy: 'http://h:3128' })).toBeUndefined();
    expect(via('http://a.example/x', { http_proxy: '' })).toBeUndefined();
  });

  it('takes host:port without a scheme as http, and refuses other schemes without echoing the value', () => {
    expect(redactProxy(parseProxyUrl('proxy.corp:3128', 'http_proxy'))).toBe('http://proxy.corp:3128');
    expect(() => parseProxyUrl('socks5://u:pw@h:1080', 'https_proxy')).toThrow('proxy scheme socks5 is not supported (http or https)');
    expect(() => parseProxyUrl('http://u:pw@[bad', 'http_proxy')).toThrow(/^not a proxy URL$/);
  });

  it('never prints credentials', () => {
    expect(redactProxy(new URL('http://user:s3cret@proxy.corp:3128/'))).toBe('http://proxy.corp:3128');
  });

  it.each([
    ['*', 'http://anything.example/', undefined],
    ['example.com', 'http://example.com/', undefined],
    ['example.com', 'http://a.b.example.com/', undefined],
    ['.example.com', 'http://example.com/', undefined],
    ['*.example.com', 'http://a.example.com/', undefined],
    ['example.com', 'http://notexample.com/', 'http://p:1'],
    ['example.com:8080', 'http://example.com:8080/', undefined],
    ['example.com:8080', 'http://example.com/', 'http://p:1'],
    ['EXAMPLE.com', 'http://example.COM./', undefined],
    ['10.0.0.1', 'http://10.0.0.1:9000/', undefined],
    ['10.0.0.0/8', 'http://10.20.30.40/', undefined],
    ['10.0.0.0/8', 'http://11.0.0.1/', 'http://p:1'],
    ['::1', 'http://[::1]:3142/', undefined],
    ['[0:0::1]:3142', 'http://[::1]:3142/', undefined],
    ['127.0.0.1, localhost', 'http://localhost/', undefined],
    ['a.example b.example', 'http://b.example/', undefined],
    ['', 'http://example.com/', 'http://p:1'],
  ])('no_proxy %j and %s', (noProxy, url, expected) => {
    expect(via(url, { http_proxy: 'http://p:1', no_proxy: noProxy })).toBe(expected);
    expect(via(url, { http_proxy: 'http://p:1', NO_PROXY: noProxy })).toBe(expected);
  });
});
