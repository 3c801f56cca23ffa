/**
 * A snapshot server of our own, on 127.0.0.1 (port 0), shaped like the real services, for every
 * test that needs one (probe, resolve, rewrite --probe, serve, diff, the end-to-end flow).
 *
 * Layouts:
 *   /archive/<archive>/<time>/<path>  snapshot.debian.org. <time> resolves to the newest snapshot
 *       at or before it ("now" to the newest, YYYYMMDD to midnight). A directory (path "" or
 *       ending in "/") asked at a time that is not an exact snapshot answers 301 to
 *       /archive/<archive>/<id>/<path>; an exact one answers 200 (HTML) or 404. A file answers
 *       302 to /file/<sha1> (as the real service does for every file). Before the first: 404.
 *   /<archive>/<time>/<path>           snapshot.ubuntu.com (archives ubuntu, ubuntu-ports): any
 *       time is valid and serves the newest snapshot at or before it, no redirect.
 *   /file/<sha1>                       the bytes of a file a 302 pointed at.
 *   /mr/timestamp/                     {"result": {"<archive>": [ids, oldest first]}}.
 *
 * Content per archive and id: `files` (relative path -> bytes, in memory) and/or `dir` (a tree
 * <root>/<archive>/<id>/..., e.g. a signed archive built by apt-ftparchive); `addSnapshot`
 * adds an id while running (a mirror that imports again).
 *
 * Faults: `fault(pattern, actions)` queues actions for requests whose path matches; each
 * matching request takes the next action until the queue is empty, then is served normally.
 * Actions: `{ status, headers?, body? }` (429 with Retry-After, a burst of 503s ...), 'reset'
 * (socket destroyed before any answer), 'hang' (headers never come), 'stall' (headers, then
 * the body never ends), 'cut' (a body shorter than its Content-Length, then the socket closes),
 * 'loop' (302 to itself), `{ delayMs }` (served normally, late). `latencyMs` / `setLatency`
 * delay every answer.
 *
 * `log` holds every request ({ method, path, status }; status 0 = reset, -1 = hang, 206 =
 * cut/stall); `requests(pattern)` filters it; `connections()` counts TCP connections accepted.
 * `stop()` closes the server and every socket.
 *
 *   const server = await startSnapshotServer({ files: { debian: { '20231114T000000Z': {
 *     'dists/bookworm/InRelease': releaseText({ suite: 'stable', codename: 'bookworm' }) } } } });
 *   server.fault(/InRelease$/, [{ status: 429, headers: { 'retry-after': '2' } }, 'reset']);
 *   ... `${server.debianBase}debian/20231114T000000Z/` ...
 *   await server.stop();
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';

export type FaultAction =
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'reset'
  | 'hang'
  | 'stall'
  | 'cut'
  | 'loop'
  | { delayMs: number };

export interface SnapshotServerOptions {
  /** archive -> id -> (relative path -> content) */
  files?: Record<string, Record<string, Record<string, string | Buffer>>>;
  /** archive -> ids served from <dir>/<archive>/<id>/ */
  dir?: { root: string; archives: Record<string, string[]> };
  latencyMs?: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  /** The request's headers, as node:http gives them (lower-case names). */
  headers: IncomingHttpHeaders;
}

export interface SnapshotServer {
  url: string;
  /** Base to give repro-sources: `${url}/archive/` (Debian layout). */
  debianBase: string;
  /** Base for Ubuntu archives: `${url}/`. */
  ubuntuBase: string;
  log: LoggedRequest[];
  /** The logged requests whose path matches. */
  requests(pattern: RegExp): LoggedRequest[];
  /** Queue faults for the next requests matching pattern (see the top of this file). */
  fault(pattern: RegExp, actions: FaultAction[]): void;
  /** Drop every queued fault. */
  clearFaults(): void;
  /** Serve one more snapshot of an archive from now on (in-memory content). */
  addSnapshot(archive: string, id: string, files: Record<string, string | Buffer>): void;
  setLatency(ms: number): void;
  /** TCP connections accepted so far (keep-alive reuse shows as few). */
  connections(): number;
  stop(): Promise<void>;
}

const UBUNTU = new Set(['ubuntu', 'ubuntu-ports']);

export async function startSnapshotServer(options: SnapshotServerOptions): Promise<SnapshotServer> {
  const faults: { pattern: RegExp; actions: FaultAction[] }[] = [];
  // a copy: addSnapshot must not change the caller's object
  const memory: Record<string, Record<string, Record<string, string | Buffer>>> = {};
  for (const [a, byId] of Object.entries(options.files ?? {})) memory[a] = { ...byId };
  const log: LoggedRequest[] = [];
  const byHash = new Map<string, { archive: string; id: string; path: string }>();
  let latency = options.latencyMs ?? 0;
  const sockets = new Set<Socket>();
  let accepted = 0;

  const ids = (archive: string): string[] => {
    const fromFiles = Object.keys(memory[archive] ?? {});
    const fromDir = options.dir?.archives[archive] ?? [];
    return [...new Set([...fromFiles, ...fromDir])].sort();
  };
  const content = (archive: string, id: string, path: string): Buffer | undefined => {
    const f = memory[archive]?.[id]?.[path];
    if (f !== undefined) return Buffer.from(f);
    if (options.dir && (options.dir.archives[archive] ?? []).includes(id)) {
      const p = join(options.dir.root, archive, id, path);
      if (!p.startsWith(join(options.dir.root, archive, id))) return undefined;
      if (existsSync(p) && statSync(p).isFile()) return readFileSync(p);
    }
    return undefined;
  };
  const isDir = (archive: string, id: string, path: string): boolean => {
    if (path === '') return true;
    const prefix = path.endsWith('/') ? path : `${path}/`;
    if (Object.keys(memory[archive]?.[id] ?? {}).some((p) => p.startsWith(prefix))) return true;
    if (options.dir && (options.dir.archives[archive] ?? []).includes(id)) {
      const p = join(options.dir.root, archive, id, path);
      return existsSync(p) && statSync(p).isDirectory();
    }
    return false;
  };
  const atOrBefore = (archive: string, time: string): string | undefined => {
    const all = ids(archive);
    if (time === 'now') return all.at(-1);
    if (/^\d{8}$/.test(time)) time = `${time}T000000Z`;
    if (!/^\d{8}T\d{6}Z$/.test(time)) return undefined;
    let best: string | undefined;
    for (const id of all) if (id <= time) best = id;
    return best;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const send = (status: number, body: string | Buffer = '', headers: Record<string, string> = {}): void => {
      log.push({ method: req.method ?? 'GET', path, status, headers: req.headers });
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));
    const f = faults.find((x) => x.pattern.test(path) && x.actions.length > 0);
    const a = f?.actions.shift();
    if (a !== undefined && typeof a === 'object' && 'delayMs' in a) await new Promise((r) => setTimeout(r, a.delayMs));
    else if (a !== undefined) {
      if (a === 'reset') {
        log.push({ method: req.method ?? 'GET', path, status: 0, headers: req.headers });
        req.socket.destroy();
        return;
      }
      if (a === 'hang') {
        log.push({ method: req.method ?? 'GET', path, status: -1, headers: req.headers });
        return;
      }
      if (a === 'loop') return send(302, '', { location: path });
      if (a === 'stall') {
        log.push({ method: req.method ?? 'GET', path, status: 206, headers: req.headers });
        res.writeHead(200, { 'content-length': '100000' });
        res.write('partial');
        return;
      }
      if (a === 'cut') {
        log.push({ method: req.method ?? 'GET', path, status: 206, headers: req.headers });
        res.writeHead(200, { 'content-length': '100000' });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 10);
        return;
      }
      return send(a.status, a.body ?? '', a.headers ?? {});
    }
    if (path === '/mr/timestamp/') {
      const all: Record<string, string[]> = {};
      for (const a of new Set([...Object.keys(memory), ...Object.keys(options.dir?.archives ?? {})])) all[a] = ids(a);
      return send(200, JSON.stringify({ _comment: 'test server', result: all }), { 'content-type': 'application/json' });
    }
    let m = /^\/file\/([0-9a-f]{40})$/.exec(path);
    if (m) {
      const where = byHash.get(m[1]!);
      const body = where && content(where.archive, where.id, where.path);
      return body ? send(200, body, { 'content-type': 'application/octet-stream' }) : send(404, 'No such file');
    }
    m = /^\/archive\/([a-z-]+)\/([^/]+)\/(.*)$/.exec(path) ?? /^\/([a-z-]+)\/([^/]+)\/(.*)$/.exec(path);
    if (!m) return send(404, 'not found');
    const [, archive, time, rest] = m as unknown as [string, string, string, string];
    const debianLayout = path.startsWith('/archive/');
    if (debianLayout === UBUNTU.has(archive)) return send(404, 'not found');
    if (rest.split('/').includes('..')) return send(400, 'bad path');
    const id = atOrBefore(archive, time);
    if (!id) return send(404, debianLayout ? 'No mirrorrun found at this date' : 'not found');
    if (debianLayout && (rest === '' || rest.endsWith('/'))) {
      if (id !== time) return send(301, '', { location: `/archive/${archive}/${id}/${rest}` });
      return isDir(archive, id, rest) ? send(200, `<html>${archive}/${id}/${rest}</html>`, { 'content-type': 'text/html' }) : send(404, 'No such file or directory');
    }
    const body = content(archive, id, rest);
    if (!body) return send(404, 'No such file or directory');
    if (debianLayout) {
      const sha1 = createHash('sha1').update(body).digest('hex');
      byHash.set(sha1, { archive, id, path: rest });
      return send(302, '', { location: `/file/${sha1}` });
    }
    return send(200, body, { 'content-type': 'application/octet-stream' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    accepted++;
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    debianBase: `${url}/archive/`,
    ubuntuBase: `${url}/`,
    log,
    requests: (pattern) => log.filter((r) => pattern.test(r.path)),
    fault: (pattern, actions) => faults.push({ pattern, actions: [...actions] }),
    clearFaults: () => {
      faults.length = 0;
    },
    addSnapshot: (archive, id, files) => {
      memory[archive] = { ...(memory[archive] ?? {}), [id]: { ...files } };
    },
    connections: () => accepted,
    setLatency: (ms) => {
      latency = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A Release file for tests: the fields probe and apt look at, with SHA256 lines for files. */
export function releaseText(o: { suite: string; codename: string; date?: string; components?: string[]; architectures?: string[]; files?: Record<string, string | Buffer> }): string {
  const lines = [
    'Origin: Debian',
    'Label: Debian',
    `Suite: ${o.suite}`,
    `Codename: ${o.codename}`,
    `Date: ${o.date ?? 'Tue, 14 Nov 2023 20:00:00 UTC'}`,
    `Architectures: ${(o.architectures ?? ['amd64', 'arm64']).join(' ')}`,
    `Components: ${(o.components ?? ['main', 'contrib']).join(' ')}`,
    'SHA256:',
  ];
  for (const [p, c] of Object.entries(o.files ?? {})) {
    const b = Buffer.from(c);
    lines.push(` ${createHash('sha256').update(b).digest('hex')} ${String(b.length).padStart(8)} ${p}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Snapshot ids of bookwormSnapshots(): two of debian half a day apart, one of debian-security. */
export const BOOKWORM = { D1: '20231114T000000Z', D2: '20231114T120000Z', S1: '20231113T000000Z' } as const;

/** The probe tests' archive content: bookworm and bookworm-updates at D1 and D2, bookworm-security at S1. */
export function bookwormSnapshots(): Record<string, Record<string, Record<string, string | Buffer>>> {
  const bookworm = (date: string): Record<string, string> => ({
    'dists/bookworm/InRelease': releaseText({ suite: 'stable', codename: 'bookworm', date }),
    'dists/bookworm-updates/InRelease': releaseText({ suite: 'stable-updates', codename: 'bookworm-updates', date }),
  });
  return {
    debian: { [BOOKWORM.D1]: bookworm('Tue, 14 Nov 2023 00:00:00 UTC'), [BOOKWORM.D2]: bookworm('Tue, 14 Nov 2023 12:00:00 UTC') },
    'debian-security': { [BOOKWORM.S1]: { 'dists/bookworm-security/Release': releaseText({ suite: 'stable-security', codename: 'bookworm-security', components: ['updates/main'] }) } },
  };
}
