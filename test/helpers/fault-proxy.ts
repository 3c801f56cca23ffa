/**
 * A loopback HTTP proxy in front of a real server (the registry) that breaks chosen requests:
 * the next requests matching METHOD and a path pattern get a status instead of being forwarded,
 * or are forwarded with their answer cut short. Everything else passes through untouched.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyFault = { status: number; headers?: Record<string, string>; body?: string } | 'cut-response' | 'reset';

export interface FaultProxy {
  host: string;
  fault(method: string, path: RegExp, actions: ProxyFault[]): void;
  log: { method: string; path: string; fault?: string }[];
  stop(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults: { method: string; path: RegExp; actions: ProxyFault[] }[] = [];
  const log: FaultProxy['log'] = [];
  const sockets = new Set<Socket>();
  const t = new URL(target);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const f = faults.find((x) => x.method === req.method && x.path.test(path) && x.actions.length > 0);
    const action = f?.actions.shift();
    log.push({ method: req.method ?? '', path, ...(action ? { fault: typeof action === 'string' ? action : String(action.status) } : {}) });
    if (action === 'reset') {
      req.socket.destroy();
      return;
    }
    if (action && typeof action !== 'string') {
      req.resume();
      req.on('end', () => {
        res.writeHead(action.status, action.headers ?? {});
        res.end(action.body ?? '');
      });
      return;
    }
    const upstream = request({ host: t.hostname, port: t.port, method: req.method, path, headers: { ...req.headers, host: t.host } }, (up) => {
      const location = up.headers.location;
      // keep the client talking to the proxy when the registry answers with absolute URLs
      if (location) up.headers.location = location.replace(t.origin, `http://${(server.address() as AddressInfo).address}:${(server.address() as AddressInfo).port}`);
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (action === 'cut-response') {
        // the head and the first 100 body bytes reach the client, then the connection drops
        // (destroying at once would drop them too: Node sends the head on the next tick)
        let sent = 0;
        up.on('data', (c: Buffer) => {
          if (sent >= 100) return;
          const part = c.subarray(0, 100 - sent);
          sent += part.length;
          if (sent < 100) return void res.write(part);
          up.destroy();
          res.write(part, () => res.socket?.destroy());
        });
        return;
      }
      up.pipe(res);
    });
    upstream.on('error', () => res.socket?.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    fault: (method, path, actions) => faults.push({ method, path, actions: [...actions] }),
    log,
    stop: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
