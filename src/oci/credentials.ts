/**
 * Registry credentials the way docker/cli finds them: explicit ones first, then Docker's
 * config.json ($DOCKER_CONFIG or ~/.docker): credHelpers[host], credsStore, auths[host]
 * (base64 user:password, or an identity token). Helpers speak the docker-credential protocol:
 * `docker-credential-NAME get` with the server on stdin, JSON on stdout.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReproSourcesError } from '../errors.js';

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (Docker's identitytoken). */
  identityToken?: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** "https://index.docker.io/v1/" and "host:5000" both name a host. */
function hostOf(key: string): string {
  return key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
}

export async function findCredentials(host: string, env: Readonly<Record<string, string | undefined>>): Promise<Credentials | undefined> {
  const dir = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : undefined);
  if (!dir) return undefined;
  const text = await readFile(join(dir, 'config.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch {
    throw new ReproSourcesError('INPUT', join(dir, 'config.json'), 'not JSON', { exitCode: 2 });
  }
  const helper = config.credHelpers?.[host] ?? config.credsStore;
  if (helper) {
    const fromHelper = await runHelper(helper, host, env);
    if (fromHelper) return fromHelper;
  }
  const entry = Object.entries(config.auths ?? {}).find(([k]) => hostOf(k) === host)?.[1];
  if (!entry) return undefined;
  if (entry.identitytoken) return { identityToken: entry.identitytoken, ...(entry.username ? { username: entry.username } : {}) };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // the password may hold colons: split at the first
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

async function runHelper(name: string, host: string, env: Readonly<Record<string, string | undefined>>): Promise<Credentials | undefined> {
  // loaded only when a Docker config names a helper: it brings net and dgram along
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${name}`, ['get'], { env: env as NodeJS.ProcessEnv, timeout: 20_000 }, (err, stdout) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(new ReproSourcesError('MISSING_TOOL', `docker-credential-${name}`, 'not found on PATH (named by Docker config credHelpers/credsStore)'));
          return;
        }
        // "credentials not found in native keychain": anonymous
        resolve(undefined);
        return;
      }
      try {
        const r = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!r.Secret) return resolve(undefined);
        resolve(r.Username === '<token>' ? { identityToken: r.Secret } : { username: r.Username ?? '', password: r.Secret });
      } catch {
        reject(new ReproSourcesError('REGISTRY', `docker-credential-${name}`, 'answered with something that is not JSON'));
      }
    });
    child.stdin?.end(host);
  });
}
