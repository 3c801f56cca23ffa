/**
 * A Docker/OCI token server of the tests' own (the distribution "token" auth scheme): GET
 * /token?service=&scope=... answers {token, access_token, expires_in} with an ES256 JWT whose x5c
 * header carries the certificate the registry trusts. Users who send the right Basic credentials
 * get every action they ask for; anonymous callers get pull only. Every token request is logged.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface TokenServer {
  url: string;
  certFile: string;
  service: string;
  issuer: string;
  log: { scopes: string[]; user: string | undefined }[];
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

export async function startTokenServer(dir: string, users: Record<string, string>): Promise<TokenServer> {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=test-token-issuer'], { stdio: 'ignore' });
  const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const certDer = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw;
  const service = 'test-registry';
  const issuer = 'test-issuer';
  const log: TokenServer['log'] = [];
  const server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    let user: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (users[name!] === rest.join(':')) user = name;
      else {
        res.writeHead(401);
        return void res.end();
      }
    }
    const scopes = u.searchParams.getAll('scope');
    log.push({ scopes, user });
    const access = scopes.flatMap((s) => s.split(' ')).map((s) => {
      const [type, name, actions] = s.split(':') as [string, string, string];
      const asked = actions.split(',');
      return { type, name, actions: user ? asked : asked.filter((a) => a === 'pull') };
    });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', x5c: [certDer.toString('base64')] }));
    const claims = b64url(JSON.stringify({ iss: issuer, sub: user ?? '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' });
    const token = `${header}.${claims}.${b64url(signature)}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, certFile: join(dir, 'cert.pem'), service, issuer, log, stop: () => new Promise((r) => server.close(() => r())) };
}
