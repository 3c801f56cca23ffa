/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  stdout: { write(s: string | Uint8Array): unknown; isTTY?: boolean };
  stderr: { write(s: string | Uint8Array): unknown; isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Seconds since 1970. */
  now: () => number;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // a getter: touching process.stdin opens it, and a piped stdin loads node:net
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now() / 1000,
  };
}

/** A command's action returns its exit code; errors are thrown and mapped by main. */
export type ExitCode = 0 | 1 | 2;
