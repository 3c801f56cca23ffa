/**
 * Every command, in the order `--help` lists them. Only the module of the command being run is
 * loaded (all of them for help), and a command module imports its implementation inside its
 * action: startup reads a handful of small files.
 */
import type { Command } from '../program.js';
import type { CliIo, ExitCode } from '../io.js';

export type Register = (program: Command, io: CliIo, setExit: (c: ExitCode) => void) => void;

const LOADERS: Record<string, () => Promise<{ register: Register }>> = {
  snapshot: () => import('./snapshot.js'),
  generate: () => import('./generate.js'),
  rewrite: () => import('./rewrite.js'),
  restore: () => import('./restore.js'),
  probe: () => import('./probe.js'),
  resolve: () => import('./resolve.js'),
  cache: () => import('./cache.js'),
  warm: () => import('./warm.js'),
  serve: () => import('./serve.js'),
  diff: () => import('./diff.js'),
  bump: () => import('./bump.js'),
  lock: () => import('./lock.js'),
  fetch: () => import('./fetch.js'),
  sbom: () => import('./sbom.js'),
};

export const COMMAND_NAMES: readonly string[] = Object.keys(LOADERS);

/** The register functions needed for this argv: the named command's, or all. */
export async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const names = first !== undefined && first in LOADERS ? [first] : COMMAND_NAMES;
  return (await Promise.all(names.map((n) => LOADERS[n]!()))).map((m) => m.register);
}
