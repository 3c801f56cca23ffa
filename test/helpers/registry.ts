/**
 * Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1 with a fresh storage dir, started
 * for a test and stopped after it: no auth, or HTTP Basic from a bcrypt htpasswd file.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTokenServer, type TokenServer } from './token-server.js';

export interface TestRegistry {
  /** host:port */
  host: string;
  url: string;
  username?: string;
  password?: string;
  storage: string;
  /** With auth 'token': the token server and its request log. */
  tokens?: TokenServer;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const CONFIG = `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: /unused
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: test-only-not-a-secret
health:
  storagedriver:
    enabled: false
`;

export async function startRegistry(opts: { auth?: 'none' | 'htpasswd' | 'token' } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'rs-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let config = CONFIG;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    REGISTRY_HTTP_ADDR: host,
    REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, 'data'),
  };
  let username: string | undefined;
  let password: string | undefined;
  if (opts.auth === 'htpasswd') {
    username = 'testuser';
    password = 'test-pass:with-colon';
    await writeFile(join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', username, password]));
    config += `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  let tokens: TokenServer | undefined;
  if (opts.auth === 'token') {
    username = 'testuser';
    password = 'token-pass';
    tokens = await startTokenServer(dir, { [username]: password });
    config += `auth:\n  token:\n    realm: ${tokens.url}\n    service: ${tokens.service}\n    issuer: ${tokens.issuer}\n    rootcertbundle: ${tokens.certFile}\n`;
  }
  await writeFile(join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`docker-registry could not start (apt-get install docker-registry): ${e.message}`))));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`docker-registry did not come up on ${host}: ${stderr}`);
    const up = await Promise.race([
      fetch(`http://${host}/v2/`).then((r) => r.status === 200 || r.status === 401, () => false),
      spawnError,
    ]);
    if (up) break;
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    url: `http://${host}`,
    ...(username ? { username, password: password! } : {}),
    storage: join(dir, 'data'),
    ...(tokens ? { tokens } : {}),
    stop: async () => {
      await tokens?.stop();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
