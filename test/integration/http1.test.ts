/**
 * The blob GET client (src/net/http1.ts) against a loopback TCP server that writes exact
 * response bytes in chosen pieces: framing, keep-alive, interim responses, broken and silent
 * servers, backpressure. Real sockets; the server side is scripted per test.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Http1Client } from '../../src/net/http1.js';
import { isRetryableError } from '../../src/net/retry.js';

interface Request {
  method: string;
  path: string;
  head: string;
}
/** What the server does for one request: write these pieces (a pause of 5 ms between), then maybe close. */
type Script = (r: Request) => { pieces: (string | Buffer)[]; close?: boolean } | 'silent' | 'close';

let server: Server;
let base: string;
let script: Script;
let connections = 0;
const requests: Request[] = [];

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function serve(socket: Socket): void {
  connections++;
  let buf = Buffer.alloc(0);
  let busy = false;
  socket.on('error', () => {});
  socket.on('data', async (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    if (busy) return;
    busy = true;
    for (let end; (end = buf.indexOf('\r\n\r\n')) >= 0; ) {
      const head = buf.subarray(0, end).toString('latin1');
      buf = buf.subarray(end + 4);
      const [method = '', path = ''] = head.split(' ');
      const req = { method, path, head };
      requests.push(req);
      const action = script(req);
      if (action === 'silent') continue;
      if (action === 'close') {
        socket.destroy();
        return;
      }
      for (const [i, p] of action.pieces.entries()) {
        if (i > 0) await pause(5);
        socket.write(p);
      }
      if (action.close) {
        socket.end();
        return;
      }
    }
    busy = false;
  });
}

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  connections = 0;
  requests.length = 0;
});

async function readAll(c: Http1Client, path: string): Promise<{ status: number; body: Buffer; count: number }> {
  const r = await c.request(`${base}${path}`);
  const parts: Buffer[] = [];
  const count = await r.read((chunk) => parts.push(Buffer.from(chunk)));
  return { status: r.statusCode, body: Buffer.concat(parts), count };
}

/** Splits bytes into pieces of the given sizes (the rest in one last piece). */
function split(b: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(b.subarray(at, at + n));
    at += n;
  }
  if (at < b.length) out.push(b.subarray(at));
  return out;
}

describe('Http1Client', () => {
  it('reads a Content-Length body whose head and body arrive in odd pieces, then reuses the connection', async () => {
    const body = randomBytes(300_000);
    const whole = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nX-Two: a\r\nx-two: b\r\n\r\n`), body]);
    script = () => ({ pieces: split(whole, [7, 30, 1, 100_000]) });
    const c = new Http1Client();
    const r = await c.request(`${base}/one`, { authorization: 'Bearer t' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-two']).toEqual(['a', 'b']);
    const parts: Buffer[] = [];
    expect(await r.read((chunk) => parts.push(Buffer.from(chunk)))).toBe(body.length);
    expect(Buffer.concat(parts).equals(body)).toBe(true);
    expect((await readAll(c, '/two')).body.equals(body)).toBe(true);
    expect(connections).toBe(1);
    expect(requests.map((q) => q.head.split('\r\n'))).toEqual([
      ['GET /one HTTP/1.1', `host: ${base.slice(7)}`, 'authorization: Bearer t'],
      ['GET /two HTTP/1.1', `host: ${base.slice(7)}`],
    ]);
    c.close();
  });

  it('decodes a chunked body split at every awkward place, trailers included, and keeps the connection', async () => {
    const wire = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n');
    script = () => ({ pieces: split(wire, Array(wire.length).fill(1)) });
    const c = new Http1Client();
    const got = await readAll(c, '/chunked');
    expect(got.body.toString()).toBe('hello 0123456789');
    expect(got.count).toBe(16);
    script = () => ({ pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'] });
    expect((await readAll(c, '/again')).body.toString()).toBe('abc');
    expect(connections).toBe(1);
    c.close();
  });

  it('reads a body that ends when the server closes, and opens a new connection next time', async () => {
    script = () => ({ pieces: ['HTTP/1.0 200 OK\r\n\r\n', 'first ', 'second'], close: true });
    const c = new Http1Client();
    expect((await readAll(c, '/a')).body.toString()).toBe('first second');
    expect((await readAll(c, '/b')).body.toString()).toBe('first second');
    expect(connections).toBe(2);
    c.close();
  });

  it('refuses a body with a transfer coding besides chunked (gzip, chunked), and takes bare-LF heads and folded header lines', async () => {
    script = (r) =>
      r.path === '/gz'
        ? { pieces: ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'] }
        : { pieces: ['HTTP/1.1 200 OK\nContent-Length: 2\nX-Folded: one\n  two\n\nok'] };
    const c = new Http1Client();
    const e = await c.request(`${base}/gz`).then((r) => r.read(() => {})).catch((x: unknown) => x);
    expect((e as Error).message).toBe('unsupported transfer-encoding gzip, chunked');
    const r = await c.request(`${base}/lf`);
    expect([r.statusCode, r.headers['x-folded'], await r.text()]).toEqual([200, 'one two', 'ok']);
    c.close();
  });

  it('a response nobody reads keeps no process alive', async () => {
    // the head, then nothing: the body never comes and nobody asks for it
    script = () => ({ pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'] });
    const code = `import { Http1Client } from ${JSON.stringify(new URL('../../dist/net/http1.js', import.meta.url).href)};
      const r = await new Http1Client().request(${JSON.stringify(`${base}/unread`)});
      console.log(r.statusCode);`;
    // asynchronously: the server answering lives in this process
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { timeout: 20_000, encoding: 'utf8' });
    expect(stdout).toBe('200\n');
  });

  it('skips interim 1xx responses', async () => {
    script = () => ({ pieces: ['HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'] });
    const c = new Http1Client();
    const got = await readAll(c, '/hints');
    expect([got.status, got.body.toString()]).toEqual([200, 'ok']);
    c.close();
  });

  it('rejects a body cut short with a code the retry policy retries', async () => {
    script = () => ({ pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'only this'], close: true });
    const c = new Http1Client();
    const r = await c.request(`${base}/cut`);
    const e = await r.read(() => {}).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as { code?: string }).code).toBe('ECONNRESET');
    expect(isRetryableError(e)).toBe(true);
    c.close();
  });

  it('a kept-alive connection the server has closed is replaced without an error', async () => {
    let n = 0;
    // the second request finds its kept connection closed just as it is sent
    script = () => (++n === 2 ? 'close' : { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'] });
    const c = new Http1Client();
    expect((await readAll(c, '/1')).body.toString()).toBe('x');
    expect((await readAll(c, '/2')).body.toString()).toBe('x');
    expect(requests.map((q) => q.path)).toEqual(['/1', '/2', '/2']);
    expect(connections).toBe(2);
    c.close();
  });

  it('holds requests beyond `connections` per origin until one is done, and frees the place of one that failed', async () => {
    script = (q) => (q.path === '/fail' ? 'close' : { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n', 'h', 'i'] });
    const c = new Http1Client({ connections: 2 });
    const bodies = await Promise.all(['/1', '/2', '/3', '/4', '/5'].map(async (p) => (await readAll(c, p)).body.toString()));
    expect(bodies).toEqual(['hi', 'hi', 'hi', 'hi', 'hi']);
    expect(connections).toBe(2);
    c.close();
    const one = new Http1Client({ connections: 1 });
    const failed = one.request(`${base}/fail`).then(() => 'answered', (e: Error) => e.message);
    const next = readAll(one, '/after');
    expect(await failed).toBe('the server closed the connection');
    expect((await next).body.toString()).toBe('hi');
    one.close();
  });

  it("an abort ends a request waiting for its head, one waiting for a connection, and a body being read, with the signal's reason", async () => {
    script = (q) => (q.path === '/silent' ? 'silent' : q.path === '/part' ? { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'] } : { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'] });
    const c = new Http1Client({ connections: 1 });
    const stop = new AbortController();
    const reason = new Error('stop');
    const outcome = (p: Promise<unknown>): Promise<unknown> => p.then(() => 'answered', (e: unknown) => e);
    const waitingHead = outcome(c.request(`${base}/silent`, {}, 'GET', undefined, stop.signal));
    const waitingPlace = outcome(c.request(`${base}/1`, {}, 'GET', undefined, stop.signal));
    await pause(50);
    stop.abort(reason);
    expect([await waitingHead, await waitingPlace]).toEqual([reason, reason]);
    // neither keeps its place: the next request goes through
    expect((await readAll(c, '/2')).body.toString()).toBe('hi');
    const again = new AbortController();
    const r = await c.request(`${base}/part`, {}, 'GET', undefined, again.signal);
    const reading = outcome(r.read(() => again.abort(reason)));
    expect(await reading).toBe(reason);
    expect(await outcome(c.request(`${base}/3`, {}, 'GET', undefined, again.signal))).toBe(reason);
    c.close();
  });

  it('does not reuse a connection after Connection: close or after HEAD with a length', async () => {
    script = (q) => (q.method === 'HEAD' ? { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n'] } : { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi'] });
    const c = new Http1Client();
    const head = await c.request(`${base}/h`, {}, 'HEAD');
    expect(head.headers['content-length']).toBe('1000');
    expect(await head.read(() => {})).toBe(0);
    expect((await readAll(c, '/g')).body.toString()).toBe('hi');
    expect(connections).toBe(1);
    expect((await readAll(c, '/g2')).body.toString()).toBe('hi');
    expect(connections).toBe(2);
    c.close();
  });

  it('gives up on a body that stalls after bodyTimeout, retryably', async () => {
    script = () => ({ pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'] });
    const c = new Http1Client({ bodyTimeout: 150 });
    const r = await c.request(`${base}/stall`);
    const e = await r.read(() => {}).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect([(e as { code?: string }).code, (e as Error).message]).toEqual(['ETIMEDOUT', 'the body stalled for 150 ms']);
    c.close();
  });

  it('gives up on a silent server after headersTimeout, retryably', async () => {
    script = () => 'silent';
    const c = new Http1Client({ headersTimeout: 200 });
    const t0 = performance.now();
    const e = await c.request(`${base}/silent`).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect((e as { code?: string }).code).toBe('ETIMEDOUT');
    expect(isRetryableError(e)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000);
    c.close();
  });

  it('streams a body through a slow reader (the socket waits, the body timeout too), bytes intact', async () => {
    const body = randomBytes(3_000_000);
    script = () => ({ pieces: [`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body] });
    // the reader's first pause is longer than the body timeout: that is the reader, not the server
    const c = new Http1Client({ bodyTimeout: 100 });
    const r = await c.request(`${base}/big`);
    const h = createHash('sha256');
    let n = 0;
    await pipeline(
      r.stream(),
      new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _enc, cb) {
          h.update(chunk);
          n += chunk.length;
          setTimeout(cb, n === chunk.length ? 300 : n % 10 === 0 ? 1 : 0);
        },
      }),
    );
    expect(n).toBe(body.length);
    expect(h.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    c.close();
  });

  it('reads error bodies as text, and refuses what is not HTTP/1 or a header with a line break', async () => {
    script = () => ({ pieces: ['HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n{"errors":[{"code":"BLOB"}]}'] });
    const c = new Http1Client();
    const r = await c.request(`${base}/missing`);
    expect([r.statusCode, await r.text()]).toEqual([404, '{"errors":[{"code":"BLOB"}]}']);
    script = () => ({ pieces: ['SSH-2.0-OpenSSH_9.2\r\n\r\n'] });
    await expect(c.request(`${base}/ssh`)).rejects.toThrow('not an HTTP/1 response: "SSH-2.0-OpenSSH_9.2"');
    await expect(c.request(`${base}/x`, { 'x-evil': 'a\r\nhost: b' })).rejects.toThrow('header x-evil holds a line break');
    c.close();
  });

  describe('over TLS', () => {
    let tlsServer: Server;
    let tlsBase: string;
    let ca: string;
    let wrong: { key: string; cert: string };
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rs-http1-tls-'));
      const cert = (name: string, san: string): { key: string; cert: string } => {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=repro-sources test', '-addext', `subjectAltName=${san}`, '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' });
        return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.crt`), 'utf8') };
      };
      const good = cert('good', 'IP:127.0.0.1');
      ca = good.cert;
      wrong = cert('wrong', 'DNS:registry.example.test');
      rmSync(dir, { recursive: true });
      tlsServer = createTlsServer({ key: good.key, cert: good.cert }, serve);
      await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
      tlsBase = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => tlsServer.close(() => r())));

    it('reads a body sent with its head in one flight, intact, on one verified connection', async () => {
      const body = randomBytes(2_000_000);
      script = () => ({ pieces: [Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body])] });
      const c = new Http1Client({ ca });
      for (const path of ['/a', '/b']) {
        const r = await c.request(`${tlsBase}${path}`);
        await pause(20);
        const h = createHash('sha256');
        expect(await r.read((chunk) => h.update(chunk))).toBe(body.length);
        expect(h.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
      }
      expect(connections).toBe(1);
      c.close();
    });

    it('refuses a certificate for another name, and one it does not trust', async () => {
      script = () => ({ pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'] });
      const other = createTlsServer(wrong, serve);
      await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
      const otherBase = `https://127.0.0.1:${(other.address() as AddressInfo).port}`;
      await expect(new Http1Client({ ca: wrong.cert }).request(`${otherBase}/x`)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
      await expect(new Http1Client().request(`${tlsBase}/x`)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      await new Promise<void>((r) => other.close(() => r()));
      expect(requests).toEqual([]);
    });
  });
});

describe('Http1Client uploads', () => {
  let upServer: import('node:http').Server;
  let upBase: string;
  /** what the server received: method, declared length, bytes counted, their sha256 */
  const got: { method: string; length: string | undefined; n: number; sha: string }[] = [];
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs-http1-up-'));
    const { createServer: createHttpServer } = await import('node:http');
    upServer = createHttpServer((req, res) => {
      const h = createHash('sha256');
      let n = 0;
      req.on('data', (c: Buffer) => {
        h.update(c);
        n += c.length;
        // a slow reader now and then: the client must wait for the socket, not pile up buffers
        if (n % (3 << 20) < c.length) {
          req.pause();
          setTimeout(() => req.resume(), 10);
        }
      });
      req.on('end', () => {
        got.push({ method: req.method!, length: req.headers['content-length'], n, sha: h.digest('hex') });
        res.writeHead(201, { 'content-length': '0' }).end();
      });
    });
    await new Promise<void>((r) => upServer.listen(0, '127.0.0.1', r));
    upBase = `http://127.0.0.1:${(upServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => upServer.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends files whole and in order, six at once on shared buffers, and a Buffer body, with their own Content-Length', async () => {
    got.length = 0;
    const { writeFileSync } = await import('node:fs');
    const files = [0, 1, 1000, 262_144, 262_145, 7_777_777].map((size, i) => {
      const bytes = randomBytes(size);
      const path = join(dir, `f${i}`);
      writeFileSync(path, bytes);
      return { path, size, sha: createHash('sha256').update(bytes).digest('hex') };
    });
    const c = new Http1Client();
    // a caller's Content-Length is the body's, whatever it says
    const rs = await Promise.all(files.map((f) => c.request(`${upBase}/up`, { 'content-length': '5' }, 'PUT', { path: f.path, size: f.size })));
    for (const r of rs) {
      expect(r.statusCode).toBe(201);
      await r.dump();
    }
    const small = Buffer.from('{"a":1}');
    await (await c.request(`${upBase}/m`, {}, 'PUT', small)).dump();
    await (await c.request(`${upBase}/post`, {}, 'POST')).dump();
    c.close();
    const sorted = (xs: { n: number; sha: string }[]): string[] => xs.map((x) => `${x.n} ${x.sha}`).sort();
    expect(sorted(got.slice(0, 6))).toEqual(sorted(files.map((f) => ({ n: f.size, sha: f.sha }))));
    expect(got.slice(0, 6).map((g) => g.length).sort()).toEqual(files.map((f) => String(f.size)).sort());
    expect(got.slice(6)).toEqual([
      { method: 'PUT', length: '7', n: 7, sha: createHash('sha256').update(small).digest('hex') },
      { method: 'POST', length: '0', n: 0, sha: createHash('sha256').digest('hex') },
    ]);
  });

  it('a file shorter than announced: the request fails naming the file, and nothing hangs', async () => {
    const { writeFileSync } = await import('node:fs');
    const path = join(dir, 'short');
    writeFileSync(path, randomBytes(1000));
    const c = new Http1Client({ headersTimeout: 5000 });
    await expect(c.request(`${upBase}/up`, {}, 'PUT', { path, size: 600_000 })).rejects.toThrow(`${path}: shorter than the 600000 bytes announced`);
    c.close();
  });
});
