import { writeSync } from 'node:fs';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: { write(s: string | Uint8Array): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string | Uint8Array): unknown; isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Seconds since 1970. */
  now: () => number;
}

export function processIo(): CliIo {
  return {
    stdout: fdOutput(1, () => process.stdout),
    stderr: fdOutput(2, () => process.stderr),
    // a getter: touching process.stdin opens it, and a piped stdin loads node:net
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now() / 1000,
  };
}

/**
 * Standard output or error written with write(2) on its descriptor. process.stdout writes
 * synchronously on Linux too, but creating it loads node:stream and, for a pipe, node:net: a
 * quarter of what `snapshot` costs at start. A descriptor left non-blocking by whoever shares it
 * answers EAGAIN when full; from then on the stream (which waits for it) takes every write, in
 * order. A reader that went away (`| head`) ends the command quietly, as head expects.
 */
export function fdOutput(fd: number, stream: () => NodeJS.WriteStream): { write(s: string | Uint8Array): boolean; readonly isTTY: boolean; readonly columns: number } {
  let fallback: NodeJS.WriteStream | undefined;
  const useStream = (): NodeJS.WriteStream => {
    if (fallback === undefined) {
      fallback = stream();
      fallback.on('error', quietOnEpipe);
    }
    return fallback;
  };
  return {
    write(s) {
      if (fallback !== undefined) return fallback.write(s);
      let bytes = typeof s === 'string' ? Buffer.from(s) : s;
      while (bytes.length > 0) {
        try {
          bytes = bytes.subarray(writeSync(fd, bytes));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EPIPE') quietOnEpipe(e as NodeJS.ErrnoException);
          if (code !== 'EAGAIN') throw e;
          return useStream().write(bytes);
        }
      }
      return true;
    },
    get isTTY() {
      return useStream().isTTY === true;
    },
    get columns() {
      return useStream().columns;
    },
  };
}

function quietOnEpipe(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
}

/** A command's action returns its exit code; errors are thrown and mapped by main. */
export type ExitCode = 0 | 1 | 2;
