/**
 * A small OCI distribution client (no maintained npm client pushes arbitrary artifacts; shared
 * research notes, oci-registry.md section 9): every request on net/http1.ts, which streams blobs
 * into a sink without copies and sends files from reused buffers; whenever a proxy applies
 * (http_proxy, https_proxy, no_proxy) every request goes through undici and that proxy. It follows what
 * docker-registry 2.8 was measured to need: OCI Accept on manifest reads, Content-Type on every body, POST
 * then PUT for blobs, the newest Location as a URL, Basic or Bearer auth from the challenge
 * with tokens cached per scope. Retries network errors, 429 and 5xx under the project's one retry
 * policy (net/retry.ts), on every hop of a blob redirect too; an upload that fails midway starts
 * again from a fresh session. Secrets never reach a message.
 */
import type { Readable } from 'node:stream';
import { Http1Client, Http1Response, type Method } from '../net/http1.js';
import type { Dispatcher } from '../net/undici.js';
import { proxyFor, readProxyEnv, type ProxyEnv } from '../net/proxy-env.js';
import { ReproSourcesError } from '../errors.js';
import { RetryableStatusError, isRetryableStatus, parseRetryAfter, withRetries } from '../net/retry.js';
import { mergeScopes, parseChallenges } from './challenge.js';
import { findCredentials, type Credentials } from './credentials.js';
import { INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, sha256Digest } from './manifest.js';
import type { OciReference } from './reference.js';
import { openBody, type BlobBody, type BlobStore, type StoreOptions } from './store.js';

/** A file is sent by net/http1.ts from reused buffers (through a proxy, as a stream by undici). */
type Body = Buffer | (() => Readable) | { file: string; size: number } | undefined;
/** From http1.ts, or from undici through a proxy: both read the same way. */
type Response = Dispatcher.ResponseData | Http1Response;

const TIMEOUTS = { connectTimeout: 15_000, headersTimeout: 60_000, bodyTimeout: 120_000 };

interface Token {
  header: string;
  expires: number;
}

export class RegistryStore implements BlobStore {
  readonly name: string;
  private readonly base: string;
  private readonly origin: string;
  private readonly repository: string;
  /** Every request that no proxy carries. */
  private readonly http1 = new Http1Client(TIMEOUTS);
  /** Everything through a proxy, loaded on first use: without one, undici is never loaded. */
  private undici: Promise<{ dispatcher: Dispatcher; request: typeof import('../net/undici.js').request }> | undefined;
  private readonly creds: Credentials | undefined;
  private readonly retries: number;
  private readonly sleep: ((ms: number) => Promise<void>) | undefined;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly proxies: ProxyEnv;
  private basic: string | undefined;
  private readonly tokens = new Map<string, Token>();
  /** Token requests under way, per scope: concurrent 401s share one. */
  private readonly authenticating = new Map<string, Promise<void>>();

  private constructor(ref: Extract<OciReference, { kind: 'registry' }>, creds: Credentials | undefined, o: StoreOptions) {
    this.origin = `${ref.plainHttp ? 'http' : 'https'}://${ref.host}`;
    this.repository = ref.repository;
    this.base = `${this.origin}/v2/${ref.repository}`;
    this.name = `oci://${ref.host}/${ref.repository}`;
    this.creds = creds;
    this.retries = o.retries ?? 4;
    this.sleep = o.sleep;
    this.env = o.env ?? process.env;
    this.proxies = readProxyEnv(this.env);
  }

  static async open(ref: Extract<OciReference, { kind: 'registry' }>, o: StoreOptions): Promise<RegistryStore> {
    const creds = o.username !== undefined ? { username: o.username, password: o.password ?? '' } : await findCredentials(ref.host, o.env ?? {});
    return new RegistryStore(ref, creds, o);
  }

  async close(): Promise<void> {
    this.http1.close();
    if (this.undici) await (await this.undici).dispatcher.close();
  }

  private loadUndici(): NonNullable<RegistryStore['undici']> {
    this.undici ??= Promise.all([import('../net/undici.js'), import('../net/undici-agent.js')]).then(([{ request }, { createUndiciAgent }]) => ({
      dispatcher: createUndiciAgent({ connectTimeoutMs: TIMEOUTS.connectTimeout, headersTimeoutMs: TIMEOUTS.headersTimeout, bodyTimeoutMs: TIMEOUTS.bodyTimeout, connections: 8, env: this.env }),
      request,
    }));
    return this.undici;
  }

  async statBlob(digest: string): Promise<number | undefined> {
    const r = await this.call('HEAD', `${this.base}/blobs/${digest}`, { scope: 'pull' });
    await r.body.dump();
    if (r.statusCode === 404) return undefined;
    this.expect(r, [200], `HEAD blob ${digest}`);
    return Number(r.headers['content-length'] ?? -1);
  }

  async putBlob(digest: string, size: number, body: BlobBody): Promise<void> {
    // the whole POST + PUT is one attempt: a failed PUT leaves the session unusable
    await this.withRetry(`upload ${digest}`, async () => {
      const post = await this.once('POST', `${this.base}/blobs/uploads/`, { scope: 'pull,push', headers: { 'content-length': '0' } });
      await post.body.dump();
      this.expect(post, [202], `start upload of ${digest}`);
      const location = header(post.headers, 'location');
      if (!location) throw new ReproSourcesError('REGISTRY', this.name, 'upload session without Location');
      const url = new URL(location, this.base);
      url.searchParams.set('digest', digest);
      const put = await this.once('PUT', url.toString(), {
        scope: 'pull,push',
        body: typeof body === 'function' ? body : { file: body.file, size },
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      });
      const text = await put.body.text();
      if (put.statusCode === 400 && text.includes('DIGEST_INVALID')) {
        throw new ReproSourcesError('INTEGRITY', `${this.name}@${digest}`, 'the registry found other bytes than the digest promised (DIGEST_INVALID)');
      }
      this.expect(put, [201], `upload ${digest}`, text);
    });
  }

  /** The repository's tags/list, paged with its Link header. */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let url: string | undefined = `${this.base}/tags/list?n=1000`;
    for (let page = 0; url && page < 100; page++) {
      const r = await this.call('GET', url, { scope: 'pull' });
      const text = await r.body.text();
      if (r.statusCode === 404) return [];
      this.expect(r, [200], 'GET tags/list', text);
      const doc = JSON.parse(text) as { tags?: string[] | null };
      tags.push(...(doc.tags ?? []));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(r.headers, 'link') ?? '')?.[1];
      url = next ? new URL(next, this.base).toString() : undefined;
    }
    return [...new Set(tags)].sort();
  }

  /** DELETE needs the registry's storage.delete.enabled; a refusal is an error the caller may ignore. */
  async deleteBlob(digest: string): Promise<void> {
    const r = await this.call('DELETE', `${this.base}/blobs/${digest}`, { scope: 'pull,push,delete' });
    const text = await r.body.text();
    if (r.statusCode === 404) return;
    this.expect(r, [202], `DELETE blob ${digest}`, text);
  }

  async getBlob(digest: string): Promise<Readable> {
    return (await this.openBlob(digest)).stream();
  }

  async readBlob(digest: string, sink: (chunk: Buffer) => void): Promise<number> {
    return (await this.openBlob(digest)).read(sink);
  }

  /** The blob's 200 response, its body not yet read; redirects followed. */
  private async openBlob(digest: string): Promise<Http1Response> {
    let url = `${this.base}/blobs/${digest}`;
    for (let hop = 0; hop < 5; hop++) {
      const sameOrigin = new URL(url).origin === this.origin;
      // object-storage registries redirect blob reads elsewhere: no credentials across origins
      const target = url;
      const r = (sameOrigin ? await this.call('GET', url, { scope: 'pull' }) : await this.withRetry(`GET ${digest}`, async () => retryable(await this.plain('GET', target), target))) as Http1Response;
      if (r.statusCode >= 300 && r.statusCode < 400 && header(r.headers, 'location')) {
        await r.body.dump();
        const next = new URL(header(r.headers, 'location')!, url);
        if (next.protocol !== 'https:' && (next.protocol !== 'http:' || url.startsWith('https:'))) throw new ReproSourcesError('REGISTRY', `${this.name}@${digest}`, `redirect from ${new URL(url).protocol} to ${next.protocol} refused`);
        url = next.toString();
        continue;
      }
      if (r.statusCode === 404) {
        await r.body.dump();
        throw new ReproSourcesError('NOT_FOUND', `${this.name}@${digest}`, 'blob not in the registry', { exitCode: 1 });
      }
      this.expect(r, [200], `GET blob ${digest}`, r.statusCode === 200 ? undefined : await r.body.text());
      return r;
    }
    throw new ReproSourcesError('REGISTRY', `${this.name}@${digest}`, 'too many redirects');
  }

  async putManifest(bytes: Buffer, tag: string | undefined): Promise<string> {
    const digest = sha256Digest(bytes);
    const url = `${this.base}/manifests/${tag ?? digest}`;
    const { r, text } = await this.withRetry(`PUT manifest ${tag ?? digest}`, async () => {
      const r = await this.once('PUT', url, { scope: 'pull,push', body: bytes, headers: { 'content-type': MANIFEST_MEDIA_TYPE } });
      const text = await r.body.text();
      // The body is ours and its digest computed here, so under a tag DIGEST_INVALID is the
      // registry's own misread: distribution 2.8 rewrites a blob's link file in place (truncate,
      // then write) when another writer pushes the same blob, and a manifest check that reads
      // it in between finds an empty digest. Measured with three parallel --merge pushes.
      if (tag !== undefined && r.statusCode === 400 && text.includes('DIGEST_INVALID')) {
        const e = new RetryableStatusError(redact(url), 400, undefined);
        e.message = 'HTTP 400 DIGEST_INVALID';
        throw e;
      }
      return { r, text };
    });
    this.expect(r, [201], `PUT manifest ${tag ?? digest}`, text);
    const echoed = header(r.headers, 'docker-content-digest');
    if (echoed && echoed !== digest) throw new ReproSourcesError('INTEGRITY', this.name, `the registry stored the manifest as ${echoed}, not ${digest}`);
    return digest;
  }

  async getManifest(ref: { tag?: string; digest?: string }): Promise<{ bytes: Buffer; digest: string } | undefined> {
    const r = await this.call('GET', `${this.base}/manifests/${ref.digest ?? ref.tag ?? 'latest'}`, {
      scope: 'pull',
      headers: { accept: `${MANIFEST_MEDIA_TYPE}, ${INDEX_MEDIA_TYPE}` },
    });
    if (r.statusCode === 404) {
      await r.body.dump();
      return undefined;
    }
    const bytes = Buffer.from(await r.body.arrayBuffer());
    this.expect(r, [200], `GET manifest ${ref.digest ?? ref.tag}`, bytes.toString('utf8').slice(0, 300));
    const digest = sha256Digest(bytes);
    if (ref.digest && digest !== ref.digest) throw new ReproSourcesError('INTEGRITY', `${this.name}@${ref.digest}`, `the registry sent a manifest whose digest is ${digest}`);
    return { bytes, digest };
  }

  /** One request with auth, retried on network errors, 429 and 5xx. */
  private call(method: Dispatcher.HttpMethod, url: string, o: { scope: string; body?: Body; headers?: Record<string, string> }): Promise<Response> {
    return this.withRetry(`${method} ${redact(url)}`, () => this.once(method, url, o));
  }

  private async withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let attempts = 0;
    try {
      return await withRetries(
        () => {
          attempts++;
          return fn();
        },
        { retries: this.retries, ...(this.sleep ? { sleep: this.sleep } : {}) },
      );
    } catch (e) {
      if (e instanceof ReproSourcesError) throw e;
      const why = e instanceof Error ? `${(e as { code?: string }).code ?? ''} ${e.message}`.trim() : String(e);
      throw new ReproSourcesError('REGISTRY', this.name, `${what}: ${why.replace(/^DEADLINE /, '')} (after ${attempts} attempt${attempts === 1 ? '' : 's'})`, { cause: e });
    }
  }

  /** One request: on 401, answer the challenge once and send it again. */
  private async once(method: Dispatcher.HttpMethod, url: string, o: { scope: string; body?: Body; headers?: Record<string, string> }): Promise<Response> {
    const scope = `repository:${this.repository}:${o.scope}`;
    const sent = this.authHeader(scope);
    let r = await this.plain(method, url, o.body, { ...(o.headers ?? {}), ...sent });
    if (r.statusCode === 401) {
      const challenge = header(r.headers, 'www-authenticate') ?? '';
      await r.body.dump();
      let pending = this.authenticating.get(scope);
      // a token for this scope arrived while this request was out: use it, don't ask for another
      const now = this.authHeader(scope);
      if (!pending && now.authorization !== undefined && now.authorization !== sent.authorization) pending = Promise.resolve();
      if (!pending) {
        pending = this.authenticate(challenge, scope).finally(() => this.authenticating.delete(scope));
        this.authenticating.set(scope, pending);
      }
      await pending;
      r = await this.plain(method, url, o.body, { ...(o.headers ?? {}), ...this.authHeader(scope) });
      if (r.statusCode === 401 || r.statusCode === 403) {
        await r.body.dump();
        throw new ReproSourcesError('REGISTRY', this.name, `${r.statusCode === 401 ? 'authentication failed' : 'access denied'} for ${scope}${this.creds ? '' : ' (no credentials: --username with --password-stdin, or docker login)'}`);
      }
    }
    return retryable(r, url);
  }

  private async plain(method: Dispatcher.HttpMethod, url: string, body?: Body, headers: Record<string, string> = {}): Promise<Response> {
    const h = { 'user-agent': 'repro-sources', ...headers };
    const read = body === undefined && (method === 'GET' || method === 'HEAD');
    // net/http1.ts speaks to origins only: through a proxy, undici carries every request
    const proxied = proxyFor(new URL(url), this.proxies) !== undefined;
    if (!proxied && typeof body !== 'function') {
      return this.http1.request(url, h, method as Method, body === undefined || Buffer.isBuffer(body) ? body : { path: body.file, size: body.size });
    }
    const b = body === undefined || Buffer.isBuffer(body) ? body : openBody(typeof body === 'function' ? body : { file: body.file });
    const { dispatcher, request } = await this.loadUndici();
    const r = await request(url, { method, dispatcher, headers: h, highWaterMark: 1 << 20, ...(b !== undefined ? { body: b } : {}) });
    return read ? asHttp1Response(r) : r;
  }

  private authHeader(scope: string): Record<string, string> {
    const t = this.tokens.get(scope);
    if (t && t.expires > Date.now()) return { authorization: t.header };
    if (this.basic) return { authorization: this.basic };
    return {};
  }

  private async authenticate(header: string, scope: string): Promise<void> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basicCreds = this.creds?.username !== undefined && this.creds.password !== undefined ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64')}` : undefined;
    if (!bearer) {
      if (!basicCreds) throw new ReproSourcesError('REGISTRY', this.name, 'authentication required (no credentials: --username with --password-stdin, or docker login)');
      this.basic = basicCreds;
      return;
    }
    const realm = bearer.params.realm;
    if (!realm) throw new ReproSourcesError('REGISTRY', this.name, 'Bearer challenge without a realm');
    const url = new URL(realm);
    if (bearer.params.service) url.searchParams.set('service', bearer.params.service);
    for (const s of mergeScopes([scope, ...(bearer.params.scope ?? '').split(' ')])) url.searchParams.append('scope', s);
    let r: Response;
    if (this.creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.creds.identityToken, service: bearer.params.service ?? '', client_id: 'repro-sources', scope });
      r = await this.plain('POST', realm, Buffer.from(form.toString()), { 'content-type': 'application/x-www-form-urlencoded' });
    } else {
      r = await this.plain('GET', url.toString(), undefined, basicCreds ? { authorization: basicCreds } : {});
    }
    const text = await r.body.text();
    if (r.statusCode !== 200) throw new ReproSourcesError('REGISTRY', redact(realm), `token request refused: HTTP ${r.statusCode}`);
    const j = JSON.parse(text) as { token?: string; access_token?: string; expires_in?: number };
    const token = j.token ?? j.access_token;
    if (!token) throw new ReproSourcesError('REGISTRY', redact(realm), 'token response without a token');
    // renew a little before the server's expiry (default 60 s per the token spec)
    this.tokens.set(scope, { header: `Bearer ${token}`, expires: Date.now() + Math.max(10, (j.expires_in ?? 60) - 10) * 1000 });
  }

  private expect(r: Response, ok: number[], what: string, body?: string): void {
    if (ok.includes(r.statusCode)) return;
    const code = body ? /"code"\s*:\s*"([A-Z_]+)"/.exec(body)?.[1] : undefined;
    throw new ReproSourcesError('REGISTRY', this.name, `${what}: HTTP ${r.statusCode}${code ? ` ${code}` : ''}`);
  }
}

/** A response worth another try becomes the error the retry policy retries. */
async function retryable<R extends Response>(r: R, url = ''): Promise<R> {
  if (!isRetryableStatus(r.statusCode)) return r;
  await r.body.dump();
  throw new RetryableStatusError(redact(url), r.statusCode, parseRetryAfter(header(r.headers, 'retry-after'), Date.now()));
}

/** An undici response read the way http1.ts responses are (a sink, or a stream that pauses its source). */
function asHttp1Response(r: Dispatcher.ResponseData): Http1Response {
  const body = r.body;
  const start = (sink: (chunk: Buffer) => void): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      let n = 0;
      body.on('data', (c: Buffer) => {
        n += c.length;
        sink(c);
      });
      body.once('end', () => resolve(n));
      body.once('error', reject);
    });
  return new Http1Response(r.statusCode, r.headers as Record<string, string | string[]>, start, {
    pause: () => body.pause(),
    resume: () => body.resume(),
    abort: (e) => body.destroy(e),
  });
}

function header(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** URLs in messages lose userinfo and the upload session state. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '<url>';
  }
}
