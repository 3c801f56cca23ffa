import type { Command } from '../program.js';
import { jsonDocument } from '../json.js';
import { addRootOption } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('restore')
    .argument('[file...]', 'files to restore (none: every file rewrite changed under ROOT)')
    .description('give back the exact original bytes (and mtimes) of the files rewrite changed; a file it left unchanged stays as it is')
    .option('--json', 'print what was restored as JSON');
  addRootOption(cmd);
  cmd.action(async (files: string[], flags: { root: string; json?: boolean }) => {
    const { restoreOriginals } = await import('../../rewrite/stash.js');
    const done = await restoreOriginals(flags.root, files);
    if (flags.json) io.stdout.write(jsonDocument({ restored: done }));
    else for (const d of done) io.stderr.write(`repro-sources: ${d.path}: ${d.action}\n`);
    setExit(0);
  });
}
