/**
 * HTTP/1.1 on plain sockets, for moving blobs. Each socket reads into fixed 1 MiB buffers (net's
 * `onread`) and hands the body to a synchronous sink as views of them: no Buffer per 64 KiB read,
 * no stream, no copy into a WebAssembly parser. For 200 MB of blobs on loopback that was half of
 * undici's time (docs/BENCHMARKS.md). A request body is a local file, sent from a few reused
 * buffers: a Buffer per block made uploads spend a fifth of their CPU in the garbage collector.
 * What registries and snapshot servers need: Content-Length, chunked and close-delimited bodies,
 * keep-alive, TLS, a cap on connections per origin, an abort signal; no pipelining, no proxy
 * (./agent.ts sends those through undici), no compression.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';

export interface Http1Options {
  /** @default 15000 */
  connectTimeout?: number;
  /** From the request to the end of the response head. @default 60000 */
  headersTimeout?: number;
  /** Longest pause between two reads of a body. @default 120000 */
  bodyTimeout?: number;
  /** Certificates to trust instead of Node's (tests; a registry with its own CA). */
  ca?: string | Buffer | undefined;
  /** Connections per origin at once; a request beyond them waits for one. @default Infinity */
  connections?: number;
  /** Bytes per socket read (two such buffers per connection): big for blobs, smaller where bodies are decompressed and read as they come. @default 1 MiB */
  readBuffer?: number;
}

export type Headers = Record<string, string | string[]>;
export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
/** A request body: bytes, or the first `size` bytes of a local file (read again from its start for each attempt). */
export type Body = Buffer | { path: string; size: number };
type Settings = Required<Omit<Http1Options, 'ca'>> & Pick<Http1Options, 'ca'>;

const MAX_HEAD = 64 << 10;

/** Codes the retry policy knows as a broken connection. */
function socketError(message: string, code: 'ECONNRESET' | 'ETIMEDOUT' | 'UND_ERR_SOCKET' = 'ECONNRESET'): Error {
  return Object.assign(new Error(message), { code });
}

type Framing = { kind: 'none' } | { kind: 'length'; left: number } | { kind: 'chunked' } | { kind: 'close' };

/** One connection: a socket, its read buffer, and whatever currently wants its bytes. */
class Connection {
  readonly socket: Socket;
  /** Gets each read (a view of the fixed buffer); null when nobody is reading. */
  onBytes: ((chunk: Buffer) => void) | null = null;
  onFail: ((e: Error) => void) | null = null;
  closed = false;
  /** The last chunk handed out stays valid: later reads go elsewhere. */
  readonly keep: () => void;
  private ready = false;
  private readonly whenReady: (() => void)[] = [];
  private timeoutMessage = '';

  constructor(url: URL, o: Settings) {
    // Two read buffers: reads go into one until a caller holds a view of it (keep), then into
    // the other, so the view stays intact while the socket goes on.
    const buffers = [Buffer.allocUnsafe(o.readBuffer), Buffer.allocUnsafe(o.readBuffer)] as const;
    let current = 0;
    this.keep = () => {
      current ^= 1;
    };
    const onread = {
      buffer: () => buffers[current],
      callback: (n: number, buf: Uint8Array): boolean => {
        this.bytes((buf as Buffer).subarray(0, n));
        return true;
      },
    };
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.socket =
      url.protocol === 'https:'
        ? // node:tls only when a URL asks for it: a loopback pull never loads it
          process.getBuiltinModule('node:tls').connect({ host, port, servername: /^[\d.]+$|:/.test(host) ? undefined : host, ALPNProtocols: ['http/1.1'], onread, ...(o.ca ? { ca: o.ca } : {}) } as ConnectionOptions)
        : netConnect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on('timeout', () => this.socket.destroy(socketError(this.timeoutMessage, 'ETIMEDOUT')));
    this.arm(o.connectTimeout, `no connection within ${o.connectTimeout} ms`);
    this.socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
      this.ready = true;
      this.arm(0, '');
      for (const f of this.whenReady.splice(0)) f();
    });
    this.socket.on('error', (e) => this.fail(e));
    // a clean end: what ends a body without Content-Length
    this.socket.on('end', () => this.fail(Object.assign(socketError('the server closed the connection'), { eof: true })));
    this.socket.on('close', () => this.fail(socketError('the connection closed')));
  }

  /** One timer per socket, its message set by whoever armed it last (0 disarms). */
  arm(ms: number, message: string): void {
    this.timeoutMessage = message;
    this.socket.setTimeout(ms);
  }

  /** Runs f once connected (TLS included). */
  onReady(f: () => void): void {
    if (this.ready) f();
    else this.whenReady.push(f);
  }

  private bytes(chunk: Buffer): void {
    if (this.onBytes) this.onBytes(chunk);
    else this.socket.destroy(socketError('bytes after the response ended', 'UND_ERR_SOCKET'));
  }

  private fail(e: Error): void {
    this.closed = true;
    const f = this.onFail;
    this.onBytes = null;
    this.onFail = null;
    f?.(e);
  }
}

/** A response whose head has arrived; its body waits for one of read, text, stream or dump. */
export class Http1Response {
  readonly statusCode: number;
  readonly headers: Headers;
  /** The response itself, so code written for undici's `r.body.text()` reads it unchanged. */
  readonly body: this = this;
  private consumed = false;
  private readonly start: (sink: (chunk: Buffer) => void) => Promise<number>;
  private readonly pauser: { pause(): void; resume(): void; abort(e: Error): void };

  constructor(statusCode: number, headers: Headers, start: Http1Response['start'], pauser: Http1Response['pauser']) {
    this.statusCode = statusCode;
    this.headers = headers;
    this.start = start;
    this.pauser = pauser;
  }

  /** Streams the body into sink; a chunk is valid only during the call. Resolves to the byte count. */
  read(sink: (chunk: Buffer) => void): Promise<number> {
    if (this.consumed) throw new Error('response body already read');
    this.consumed = true;
    return this.start(sink);
  }

  /** The whole body (small documents). */
  async bytes(): Promise<Buffer> {
    const parts: Buffer[] = [];
    await this.read((c) => parts.push(Buffer.from(c)));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const all = await this.bytes();
    return all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.arrayBuffer());
  }

  async dump(): Promise<void> {
    await this.read(() => {});
  }

  /** The body as a Readable (copies each chunk; the socket pauses while the reader is behind). */
  stream(): Readable {
    const r = new Readable({
      read: () => this.pauser.resume(),
      destroy: (e, cb) => {
        if (!done) this.pauser.abort(e ?? socketError('the reader went away'));
        cb(e);
      },
    });
    let done = false;
    this.read((c) => {
      if (!r.push(Buffer.from(c))) this.pauser.pause();
    }).then(
      () => {
        done = true;
        r.push(null);
      },
      (e: Error) => {
        done = true;
        r.destroy(e);
      },
    );
    return r;
  }
}

export class Http1Client {
  private readonly o: Settings;
  private readonly idle = new Map<string, Connection[]>();
  private readonly open = new Set<Connection>();
  /** Per origin: exchanges under way, and the requests waiting for one of them to end. */
  private readonly slots = new Map<string, { busy: number; waiting: (() => void)[] }>();

  constructor(o: Http1Options = {}) {
    this.o = { connectTimeout: 15_000, headersTimeout: 60_000, bodyTimeout: 120_000, connections: Infinity, readBuffer: 1 << 20, ...o };
  }

  /**
   * Resolves when the response head has arrived (a body may still be going out). An abort of
   * `signal` ends the exchange, its body included, with the signal's reason.
   */
  async request(url: string | URL, headers: Record<string, string> = {}, method: Method = 'GET', body?: Body, signal?: AbortSignal): Promise<Http1Response> {
    const u = typeof url === 'string' ? new URL(url) : url;
    // bad arguments, not a failed exchange: TypeErrors, which no retry policy retries
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${u.protocol}`);
    for (const [k, v] of Object.entries(headers)) if (/[\r\n]/.test(k + v)) throw new TypeError(`header ${k} holds a line break`);
    const free = await this.slot(u.origin, signal);
    for (let stale = false; ; stale = true) {
      // after a kept-alive connection turned out dead, a new one: the other idle ones are as old
      const reused = stale ? undefined : this.take(u.origin);
      const conn = reused ?? this.connect(u);
      try {
        if (signal?.aborted) throw abortReason(signal);
        return await this.exchange(conn, u, headers, method, body, free, signal);
      } catch (e) {
        // a kept-alive socket the server had already closed: the request never reached it. Only a
        // read is sent again here; an upload goes back to the caller, whose retry opens a new session.
        if (reused && !signal?.aborted && body === undefined && (method === 'GET' || method === 'HEAD') && (e as { beforeResponse?: boolean }).beforeResponse) continue;
        free();
        throw e;
      }
    }
  }

  /** Waits for a connection of origin's to be free; the function returned frees it (once). */
  private async slot(origin: string, signal: AbortSignal | undefined): Promise<() => void> {
    let s = this.slots.get(origin);
    if (!s) this.slots.set(origin, (s = { busy: 0, waiting: [] }));
    const state = s;
    while (state.busy >= this.o.connections) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          state.waiting.splice(state.waiting.indexOf(wake) >>> 0, 1);
          reject(abortReason(signal!));
        };
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal?.aborted) return reject(abortReason(signal));
        state.waiting.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    state.busy++;
    let freed = false;
    return () => {
      if (freed) return;
      freed = true;
      state.busy--;
      state.waiting.shift()?.();
    };
  }

  /** Closes every connection, idle or busy. */
  close(): void {
    for (const c of this.open) c.socket.destroy();
    this.open.clear();
    this.idle.clear();
  }

  private take(origin: string): Connection | undefined {
    const list = this.idle.get(origin);
    for (let c = list?.pop(); c; c = list?.pop()) if (!c.closed) return c;
    return undefined;
  }

  private connect(u: URL): Connection {
    const c = new Connection(u, this.o);
    this.open.add(c);
    c.socket.once('close', () => {
      this.open.delete(c);
      const list = this.idle.get(u.origin);
      const i = list?.indexOf(c) ?? -1;
      if (i >= 0) list!.splice(i, 1);
    });
    return c;
  }

  private release(c: Connection, origin: string): void {
    c.onBytes = null;
    c.onFail = null;
    c.arm(0, '');
    // it may have been paused while its last response waited for a reader
    c.socket.resume();
    c.socket.unref();
    const list = this.idle.get(origin) ?? [];
    list.push(c);
    this.idle.set(origin, list);
  }

  private exchange(conn: Connection, u: URL, headers: Record<string, string>, method: Method, upload: Body | undefined, free: () => void, signal: AbortSignal | undefined): Promise<Http1Response> {
    const { socket } = conn;
    socket.ref();
    const onAbort = (): void => void socket.destroy(abortReason(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    /** The exchange is over: the connection is idle, or gone. */
    const over = (): void => {
      signal?.removeEventListener('abort', onAbort);
      free();
    };
    const lines = [`${method} ${u.pathname}${u.search} HTTP/1.1`, `host: ${u.host}`];
    // the length is the body's own, whatever the caller's headers say
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== 'content-length') lines.push(`${k}: ${v}`);
    const length = upload === undefined ? 0 : Buffer.isBuffer(upload) ? upload.length : upload.size;
    if (upload !== undefined || (method !== 'GET' && method !== 'HEAD')) lines.push(`content-length: ${length}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (Buffer.isBuffer(upload)) socket.write(upload);
    else if (upload) sendFile(socket, upload).catch((e: Error) => socket.destroy(e));
    const { headersTimeout, bodyTimeout } = this.o;
    conn.onReady(() => conn.arm(headersTimeout, `no response within ${headersTimeout} ms`));

    return new Promise<Http1Response>((resolveHead, rejectHead) => {
      let head: Buffer[] = [];
      let gotAny = false;
      // body state, once the head is parsed
      let framing: Framing = { kind: 'none' };
      let keepAlive = true;
      let pending: Buffer | undefined;
      let sink: ((c: Buffer) => void) | undefined;
      let total = 0;
      let finishBody: ((n: number) => void) | undefined;
      let failBody: ((e: Error) => void) | undefined;
      let bodyError: Error | undefined;
      // chunked decoding: bytes left in the current chunk, or the size line / CRLF being read
      let chunkLeft = 0;
      let chunkState: 'size' | 'data' | 'data-crlf' | 'trailers' = 'size';
      let line = '';
      let resolved = false;

      const fail = (e: Error): void => {
        if (!resolved) {
          if (!gotAny) Object.assign(e, { beforeResponse: true });
          signal?.removeEventListener('abort', onAbort);
          rejectHead(e);
          return;
        }
        // a body without Content-Length ends when the server closes
        if (framing.kind === 'close' && (e as { eof?: boolean }).eof && !bodyError) return end();
        bodyError ??= e;
        over();
        failBody?.(e);
      };
      conn.onFail = fail;

      const end = (): void => {
        const reusable = keepAlive && framing.kind !== 'close' && !conn.closed;
        if (reusable) this.release(conn, u.origin);
        else {
          conn.onBytes = null;
          conn.onFail = null;
          socket.destroy();
        }
        framing = { kind: 'none' };
        over();
        finishBody?.(total);
      };

      const emit = (c: Buffer): void => {
        total += c.length;
        sink!(c);
      };

      /** Feeds body bytes through the framing; returns whether the body is complete. */
      const body = (c: Buffer): boolean => {
        switch (framing.kind) {
          case 'none':
            if (c.length > 0) throw socketError('bytes after the response ended', 'UND_ERR_SOCKET');
            return true;
          case 'close':
            if (c.length > 0) emit(c);
            return false;
          case 'length': {
            if (c.length > framing.left) throw socketError('more bytes than Content-Length', 'UND_ERR_SOCKET');
            framing.left -= c.length;
            if (c.length > 0) emit(c);
            return framing.left === 0;
          }
          case 'chunked': {
            let i = 0;
            while (i < c.length) {
              if (chunkState === 'data') {
                const n = Math.min(chunkLeft, c.length - i);
                emit(c.subarray(i, i + n));
                i += n;
                chunkLeft -= n;
                if (chunkLeft === 0) chunkState = 'data-crlf';
                continue;
              }
              const nl = c.indexOf(10, i);
              const end = nl < 0 ? c.length : nl;
              line += c.toString('latin1', i, end);
              if (line.length > 4096) throw socketError('a chunk line too long', 'UND_ERR_SOCKET');
              i = end;
              if (nl < 0) break;
              i++;
              const l = line.replace(/\r$/, '');
              line = '';
              if (chunkState === 'data-crlf') {
                if (l !== '') throw socketError('a chunk without its CRLF', 'UND_ERR_SOCKET');
                chunkState = 'size';
              } else if (chunkState === 'size') {
                const m = /^([0-9a-fA-F]+)[ \t]*(;.*)?$/.exec(l);
                if (!m) throw socketError('a malformed chunk size', 'UND_ERR_SOCKET');
                chunkLeft = parseInt(m[1]!, 16);
                chunkState = chunkLeft === 0 ? 'trailers' : 'data';
              } else if (l === '') {
                if (i !== c.length) throw socketError('bytes after the response ended', 'UND_ERR_SOCKET');
                return true;
              }
            }
            return false;
          }
        }
      };

      const onBody = (c: Buffer): void => {
        if (!sink) {
          // nobody reads yet: hold this read (a view while it is the only one) and stop the socket
          if (pending) pending = Buffer.concat([pending, c]);
          else {
            pending = c;
            conn.keep();
          }
          socket.pause();
          return;
        }
        try {
          if (body(c)) end();
        } catch (e) {
          socket.destroy(e as Error);
        }
      };

      const onHead = (c: Buffer): void => {
        gotAny = true;
        // the usual head arrives in one read: parse it in place; a longer one is copied and joined
        const all = head.length === 0 ? c : Buffer.concat([...head, c]);
        const headEnd = endOfHead(all);
        if (headEnd === undefined) {
          if (all.length > MAX_HEAD) return void socket.destroy(socketError(`a response head over ${MAX_HEAD} bytes`, 'UND_ERR_SOCKET'));
          head = [Buffer.from(all)];
          return;
        }
        const [status, ...fields] = unfold(all.toString('latin1', 0, headEnd.at).split(/\r?\n/));
        const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(status ?? '');
        if (!m) return void socket.destroy(socketError(`not an HTTP/1 response: ${JSON.stringify((status ?? '').slice(0, 40))}`, 'UND_ERR_SOCKET'));
        const code = Number(m[2]);
        const rest = all.subarray(headEnd.at + headEnd.length);
        if (code >= 100 && code < 200) {
          // an interim response: the real one follows
          head = [];
          if (rest.length > 0) onHead(rest);
          return;
        }
        const h: Headers = {};
        for (const f of fields) {
          const colon = f.indexOf(':');
          if (colon <= 0) continue;
          const k = f.slice(0, colon).trim().toLowerCase();
          const v = f.slice(colon + 1).trim();
          const old = h[k];
          h[k] = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
        }
        const one = (k: string): string | undefined => {
          const v = h[k];
          return Array.isArray(v) ? v.join(', ') : v;
        };
        const connection = (one('connection') ?? '').toLowerCase();
        keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
        const te = (one('transfer-encoding') ?? '').toLowerCase();
        const cl = one('content-length');
        if (method === 'HEAD' || code === 204 || code === 304) framing = { kind: 'none' };
        else if (te) {
          // chunked alone: a body also gzip- or otherwise encoded would reach the sink still encoded
          if (te.trim() !== 'chunked') return void socket.destroy(socketError(`unsupported transfer-encoding ${te}`, 'UND_ERR_SOCKET'));
          framing = { kind: 'chunked' };
        } else if (cl !== undefined) {
          if (!/^\d+$/.test(cl)) return void socket.destroy(socketError(`a bad Content-Length ${JSON.stringify(cl)}`, 'UND_ERR_SOCKET'));
          framing = { kind: 'length', left: Number(cl) };
        } else framing = { kind: 'close' };
        head = [];
        conn.onBytes = onBody;
        conn.arm(0, '');
        if (rest.length > 0) onBody(rest);
        resolved = true;
        // until someone reads the body, this socket keeps no process alive
        socket.unref();
        resolveHead(
          new Http1Response(
            code,
            h,
            (s) =>
              new Promise<number>((resolve, reject) => {
                if (bodyError) return reject(bodyError);
                sink = s;
                socket.ref();
                finishBody = resolve;
                failBody = reject;
                conn.arm(bodyTimeout, `the body stalled for ${bodyTimeout} ms`);
                try {
                  const p = pending;
                  pending = undefined;
                  const complete = body(p ?? Buffer.alloc(0));
                  if (complete) return end();
                } catch (e) {
                  return void socket.destroy(e as Error);
                }
                socket.resume();
              }),
            {
              // a reader that is behind is not a stalled server; once the body is done the
              // connection may carry another response, which these must not touch
              pause: () => {
                if (framing.kind === 'none') return;
                socket.pause();
                conn.arm(0, '');
              },
              resume: () => {
                if (framing.kind === 'none' || !finishBody) return;
                conn.arm(bodyTimeout, `the body stalled for ${bodyTimeout} ms`);
                socket.resume();
              },
              abort: (e) => socket.destroy(e),
            },
          ),
        );
      };
      conn.onBytes = onHead;
      if (conn.closed) fail(socketError('the connection closed'));
    });
  }
}

const SEND_BUFFER = 256 << 10;
const SEND_BUFFERS = 4;
/** Send buffers between uploads: the parallel uploads of a push reuse a few, not four per file. */
const spare: Buffer[] = [];

/**
 * The file's bytes into the socket through a few buffers, each reused once the socket has taken
 * its bytes (the write's callback): at most SEND_BUFFERS x SEND_BUFFER in flight, no allocation
 * per block. A socket that fails ends the loop; the response side reports why.
 */
async function sendFile(socket: Socket, body: { path: string; size: number }): Promise<void> {
  const free: Buffer[] = Array.from({ length: SEND_BUFFERS }, () => spare.pop() ?? Buffer.allocUnsafeSlow(SEND_BUFFER));
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const taken = (b: Buffer) => (): void => {
    free.push(b);
    wakeUp();
  };
  socket.once('close', wakeUp);
  const fd = openSync(body.path, 'r');
  try {
    for (let left = body.size, at = 0; left > 0; ) {
      while (free.length === 0 && !socket.destroyed) await new Promise<void>((r) => (wake = r));
      if (socket.destroyed) return;
      const b = free.pop()!;
      const n = readSync(fd, b, 0, Math.min(SEND_BUFFER, left), at);
      if (n === 0) throw new Error(`${body.path}: shorter than the ${body.size} bytes announced`);
      left -= n;
      at += n;
      socket.write(n === SEND_BUFFER ? b : b.subarray(0, n), taken(b));
    }
    // every buffer back from the socket, so the next upload takes them from `spare`
    while (free.length < SEND_BUFFERS && !socket.destroyed) await new Promise<void>((r) => (wake = r));
  } finally {
    socket.off('close', wakeUp);
    closeSync(fd);
    // a buffer the socket still holds comes back through its callback into `free`, too late to matter
    spare.push(...free.splice(0));
  }
}

/** What an aborted request fails with: the signal's reason when it is an Error, as undici does. */
function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : Object.assign(new Error('the request was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** Where the head ends: CRLF CRLF, or bare LFs (RFC 9112 2.2 lets a recipient accept a lone LF). */
function endOfHead(b: Buffer): { at: number; length: number } | undefined {
  const crlf = b.indexOf('\r\n\r\n');
  const lf = b.indexOf('\n\n');
  const mixed = b.indexOf('\n\r\n');
  const ends = [crlf < 0 ? undefined : { at: crlf, length: 4 }, lf < 0 ? undefined : { at: lf, length: 2 }, mixed < 0 ? undefined : { at: mixed, length: 3 }].filter((x) => x !== undefined);
  return ends.sort((x, y) => x.at - y.at)[0];
}

/** Header lines with obsolete line folding (a line starting with SP or HT) joined by a space (RFC 9112 5.2). */
function unfold(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (/^[ \t]/.test(l) && out.length > 1) out[out.length - 1] += ` ${l.trim()}`;
    else out.push(l);
  }
  return out;
}
