/**
 * The CLI: a commander program whose commands import their implementation only when they
 * run, so `snapshot` and `rewrite` never load the network stack.
 */
import { Command, CommanderError } from 'commander';
import { isReproSourcesError } from '../errors.js';
import { processIo, type CliIo, type ExitCode } from './io.js';
import { commandsFor } from './commands/index.js';
import { VERSION } from '../version.js';

/**
 * For the CLI's own process only (not for library users), and only for commands that talk
 * HTTP: WebAssembly compiled by the baseline compiler only. undici parses HTTP with a
 * WebAssembly build of llhttp, which V8 recompiles with its optimizing compiler in the
 * background, and a process waits for that at exit: 150-200 ms on every such command, for no
 * measurable gain in parsing speed.
 */
export async function tuneProcess(argv: readonly string[]): Promise<void> {
  const command = argv.find((a) => !a.startsWith('-'));
  const offline = command === 'snapshot' || command === 'generate' || command === 'restore' || (command === 'rewrite' && !argv.some((a) => a === '--probe' || a === '--resolve'));
  if (offline) return;
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--liftoff-only');
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = 0;
  const program = new Command('repro-sources')
    .description('Reproducible apt: pin sources to snapshot archives, probe mirrors, cache .debs in OCI registries.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces of errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: () => {},
    })
    .showHelpAfterError(false);
  const setExit = (code: ExitCode): void => {
    exitCode = code;
  };
  try {
    for (const register of await commandsFor(argv)) register(program, io, setExit);
    await program.parseAsync(argv as string[], { from: 'user' });
    return exitCode;
  } catch (e) {
    return reportError(e, io, argv.includes('--debug'));
  }
}

function reportError(e: unknown, io: CliIo, debug: boolean): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    // commander's messages read "error: unknown option '--x'"; keep ours to one line.
    io.stderr.write(`repro-sources: usage: ${e.message.replace(/^error: /, '').split('\n')[0]}\n`);
    return 2;
  }
  if (isReproSourcesError(e)) {
    io.stderr.write(`repro-sources: ${e.subject}: ${e.message}\n`);
    if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  io.stderr.write(`repro-sources: internal error: ${err.message}\n`);
  if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
  return 1;
}
