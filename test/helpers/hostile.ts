/**
 * The hostile-server kit: real sockets on 127.0.0.1 that behave as real servers and networks do
 * when they are not kind.
 *
 * - startPythonServer(dir): python3's http.server, HTTP/1.0, every body ended by closing.
 * - startRawServer(script): a TCP server whose answer to each request is scripted byte by byte:
 *   cut-off bodies, Content-Lengths that lie, stalls, heads with bare LFs or folded lines.
 * - startForwardProxy({ hosts }): a forward proxy that counts what passes: absolute-form http
 *   requests and CONNECT tunnels. Host names are resolved only here, from `hosts` (a name under
 *   .invalid -> a port on 127.0.0.1), so a request for such a name that arrives proves it came
 *   through the proxy. Optional Basic credentials it insists on.
 * - makeTestCa(names): a CA and a server certificate for the names, made with openssl, for
 *   NODE_EXTRA_CA_CERTS; startTlsTerminator(cert, port) puts TLS in front of a plain server.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

function track(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

export interface PythonServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `python3 -m http.server` serving dir: HTTP/1.0, a body ends when the connection closes. */
export async function startPythonServer(dir: string): Promise<PythonServer> {
  const child: ChildProcess = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`python3 http.server exited with ${code}`)));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
  });
  child.stdout!.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

export interface RawRequest {
  method: string;
  path: string;
  head: string;
}

/** What to do with one request: write these pieces (a pause between them if asked), then end, keep open, or reset. */
export interface RawAnswer {
  pieces: (string | Buffer)[];
  /** What happens after the pieces: 'end' closes cleanly, 'stall' keeps the socket open and silent, 'reset' destroys it. @default 'end' */
  then?: 'end' | 'stall' | 'reset';
}

export interface RawServer {
  url: string;
  requests: RawRequest[];
  stop(): Promise<void>;
}

/** One request per connection, answered by script(request, index). */
export async function startRawServer(script: (r: RawRequest, n: number) => RawAnswer): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const server = createServer((socket) => {
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.slice(0, end);
      buf = '';
      const [method = '', path = ''] = head.split(' ');
      const r = { method, path, head };
      requests.push(r);
      const a = script(r, requests.length - 1);
      for (const p of a.pieces) socket.write(p);
      const then = a.then ?? 'end';
      if (then === 'end') socket.end();
      else if (then === 'reset') setTimeout(() => socket.resetAndDestroy(), 20);
    });
  });
  const stop = track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, requests, stop };
}

export interface ProxyLogEntry {
  kind: 'http' | 'connect';
  /** The absolute URL (http) or host:port (CONNECT) asked for. */
  target: string;
  method: string;
  /** What the client sent as Proxy-Authorization. */
  auth: string | undefined;
}

export interface ForwardProxy {
  url: string;
  port: number;
  log: ProxyLogEntry[];
  stop(): Promise<void>;
}

/**
 * A forward proxy: absolute-form http requests are forwarded, CONNECT opens a tunnel. Names are
 * resolved from `hosts` only (name -> port on 127.0.0.1); anything else gets 502.
 */
export async function startForwardProxy(o: { hosts: Record<string, number>; auth?: string }): Promise<ForwardProxy> {
  const log: ProxyLogEntry[] = [];
  const want = o.auth ? `Basic ${Buffer.from(o.auth).toString('base64')}` : undefined;
  const portFor = (host: string): number | undefined => o.hosts[host.replace(/:\d+$/, '').toLowerCase()];
  const server = createHttpServer((req: IncomingMessage, res) => {
    const auth = req.headers['proxy-authorization'];
    log.push({ kind: 'http', target: req.url ?? '', method: req.method ?? '', auth });
    if (want && auth !== want) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('not absolute-form\n');
      return;
    }
    const port = portFor(target.host);
    if (target.protocol !== 'http:' || port === undefined) {
      res.writeHead(502).end(`unknown host ${target.host}\n`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const up = request({ host: '127.0.0.1', port, method: req.method, path: `${target.pathname}${target.search}`, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      // an answer cut short upstream is cut short here too
      answer.on('aborted', () => res.socket?.destroy());
      answer.on('error', () => res.socket?.destroy());
    });
    up.on('error', () => res.socket?.destroy());
    req.pipe(up);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const auth = req.headers['proxy-authorization'];
    log.push({ kind: 'connect', target: req.url ?? '', method: 'CONNECT', auth });
    client.on('error', () => {});
    if (want && auth !== want) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="test"\r\ncontent-length: 0\r\n\r\n');
    const port = portFor(req.url ?? '');
    if (port === undefined) return void client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
    const up = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('close', () => up.destroy());
  });
  const stop = track(server);
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, port, log, stop };
}

export interface TestCa {
  dir: string;
  /** The CA certificate (PEM file), for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  key: Buffer;
  cert: Buffer;
  remove(): Promise<void>;
}

/** A CA and a server certificate for `names`, made with openssl at test time. */
export async function makeTestCa(names: string[]): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'rs-ca-'));
  const f = (n: string): string => join(dir, n);
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=repro-sources test CA']);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${names[0]}`]);
  await writeFile(f('ext.cnf'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf')]);
  return { dir, caFile: f('ca.pem'), key: await readFile(f('server.key')), cert: await readFile(f('server.pem')), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** TLS in front of a plain server on 127.0.0.1:targetPort. */
export async function startTlsTerminator(ca: TestCa, targetPort: number): Promise<{ port: number; stop(): Promise<void> }> {
  const server = createTlsServer({ key: ca.key, cert: ca.cert }, (tls) => {
    tls.on('error', () => {});
    const up = connect(targetPort, '127.0.0.1');
    up.on('error', () => tls.destroy());
    tls.pipe(up).pipe(tls);
  });
  const stop = track(server);
  return { port: await listen(server), stop };
}
