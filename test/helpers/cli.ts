/**
 * Runs the real CLI as a subprocess: the package's bin (dist/ from `npm run build`) by
 * default, or the single-file bundle. Nothing is mocked.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/repro-sources.js', import.meta.url));
export const BUNDLE = fileURLToPath(new URL('../../dist/repro-sources.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  /** Run this script instead of bin/repro-sources.js (e.g. BUNDLE). */
  script?: string;
  timeoutMs?: number;
}

/** The environment tests start from: no SOURCE_DATE_EPOCH or snapshot settings leak in. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', TZ: 'UTC' };
  return { ...env, ...extra };
}

export function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const script = opts.script ?? BIN;
  if (!existsSync(script.endsWith('.mjs') ? script : `${PROJECT_ROOT}dist/split/main.js`)) {
    throw new Error(`${script} is not built: run "npm run build" (npm test does)`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: (opts.env ?? cleanEnv()) as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}
