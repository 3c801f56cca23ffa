/**
 * The CLI: a program (./program.js) whose commands import their implementation only when they
 * run, so `snapshot` and `rewrite` never load the network stack.
 */
import { Command, CommandLineExit } from './program.js';
import { isReproSourcesError } from '../errors.js';
import { processIo, type CliIo, type ExitCode } from './io.js';
import { commandsFor } from './commands/index.js';
import { VERSION } from '../version.js';

/**
 * For the CLI's own process only (not for library users). For commands that talk HTTP through a
 * proxy: WebAssembly compiled by the baseline compiler only. undici, which carries what a proxy
 * carries, parses HTTP with a WebAssembly build of llhttp, which V8 recompiles with its
 * optimizing compiler in the background, and a process waits for that at exit: 150-200 ms on
 * every such command, for no measurable gain in parsing speed. Without a proxy variable undici
 * is not loaded (but for a server that speaks only HTTP/2), and neither is node:v8.
 * (EPIPE on stdout and stderr is handled where they are written: processIo.)
 */
export async function tuneProcess(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  const command = argv.find((a) => !a.startsWith('-'));
  const offline = command === 'snapshot' || command === 'generate' || command === 'restore' || (command === 'rewrite' && !argv.some((a) => a === '--probe' || a === '--resolve'));
  const proxied = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY'].some((k) => (env[k] ?? '') !== '');
  if (offline || !proxied) return;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = 0;
  const program = new Command('repro-sources')
    .description('Reproducible apt: pin sources to snapshot archives, probe mirrors, cache .debs in OCI registries.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces of errors')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outColumns: () => (io.stdout.isTTY ? io.stdout.columns : undefined),
      errColumns: () => (io.stderr.isTTY ? io.stderr.columns : undefined),
    });
  const setExit = (code: ExitCode): void => {
    exitCode = code;
  };
  try {
    for (const register of await commandsFor(argv)) register(program, io, setExit);
    await program.parseAsync(argv);
    return exitCode;
  } catch (e) {
    return reportError(e, io, argv.includes('--debug'));
  }
}

function reportError(e: unknown, io: CliIo, debug: boolean): number {
  if (e instanceof CommandLineExit) {
    // a message quotes what the user typed, which may hold a line break: keep ours to one line
    if (e.exitCode === 2) io.stderr.write(`repro-sources: usage: ${e.message.split('\n')[0]}\n`);
    return e.exitCode;
  }
  if (isReproSourcesError(e)) {
    io.stderr.write(`repro-sources: ${e.subject}: ${e.message}\n`);
    if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const os = describeOsError(err);
  if (os) {
    io.stderr.write(`repro-sources: ${os}\n`);
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
  io.stderr.write(`repro-sources: internal error: ${err.message}\n`);
  if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
  return 1;
}

const OS_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EMFILE: 'too many open files',
  EDQUOT: 'disk quota exceeded',
  EXDEV: 'on another file system',
  EIO: 'input/output error',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  ENOTFOUND: 'host name not found',
};

/**
 * An operating-system error on a path or address the user gave, as `subject: why`: Node's
 * errors carry the path (fs) or the address and port (listen), which name what failed.
 */
export function describeOsError(e: Error): string | undefined {
  const x = e as Error & { code?: unknown; path?: unknown; dest?: unknown; address?: unknown; port?: unknown; hostname?: unknown };
  if (typeof x.code !== 'string' || !/^E[A-Z]+$/.test(x.code)) return undefined;
  const why = OS_ERRORS[x.code] ?? x.code;
  if (typeof x.path === 'string') return `${x.path}: ${why}${typeof x.dest === 'string' ? ` (to ${x.dest})` : ''}`;
  if (typeof x.address === 'string') return `${x.address.includes(':') ? `[${x.address}]` : x.address}${typeof x.port === 'number' ? `:${x.port}` : ''}: ${why}`;
  if (typeof x.hostname === 'string') return `${x.hostname}: ${why}`;
  return `${why} (${e.message})`;
}
