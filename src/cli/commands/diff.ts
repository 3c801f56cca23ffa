import type { Command } from '../program.js';
import { jsonDocument } from '../json.js';
import { UsageError } from '../../errors.js';
import type { CliIo, ExitCode } from '../io.js';

interface Flags {
  root?: string;
  from: string;
  to: string;
  packages?: string;
  snapshotBase: string[];
  arch?: string;
  json?: boolean;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  program
    .command('diff')
    .argument('[file...]', 'sources files (or --root DIR)')
    .description('what moving the snapshot pin changes for the packages a build uses')
    .option('--root <dir>', "the root whose sources files (and dpkg status, for the package list) are read")
    .requiredOption('--from <time>', 'snapshot id, epoch')
    .requiredOption('--to <time>', 'snapshot id, epoch, or latest')
    .option('--packages <list>', 'packages to look at (default: those installed in ROOT, else all)')
    .option('--snapshot-base <url>', 'snapshot service base URL', collect, [])
    .option('--arch <arch>', 'architecture of the indexes (default: amd64)')
    .option('--json', 'print one JSON document')
    .action(async (files: string[], f: Flags) => {
      const [{ diffSnapshots }, { readSourcesFile, readSourcesFiles }] = await Promise.all([import('../../update/diff.js'), import('../../rewrite/files.js')]);
      if (files.length === 0 && !f.root) throw new UsageError('diff', 'give sources files or --root DIR');
      const sources = files.length > 0 ? await Promise.all(files.map(readSourcesFile)) : await readSourcesFiles(f.root!);
      const r = await diffSnapshots({
        files: sources,
        from: f.from,
        to: f.to,
        packages: f.packages?.split(/[,\s]+/).filter(Boolean),
        root: f.root,
        snapshotBase: f.snapshotBase[0] ?? io.env.SNAPSHOT_ARCHIVE_BASE,
        architecture: f.arch,
      });
      if (f.json) {
        io.stdout.write(jsonDocument(r));
      } else {
        // one write: a report of thousands of lines is one syscall, not one a line
        const lines: string[] = [];
        for (const a of r.archives) {
          lines.push(`${a.archive} ${a.from} -> ${a.to}: ${a.changed.length} changed, ${a.added.length} added, ${a.removed.length} removed`);
          for (const c of a.changed) lines.push(`  ~ ${c.package} ${c.architecture} ${c.from} -> ${c.to}${a.archive.endsWith('-security') ? ' (security)' : ''}`);
          for (const c of a.added) lines.push(`  + ${c.package} ${c.architecture} ${c.version}`);
          for (const c of a.removed) lines.push(`  - ${c.package} ${c.architecture} ${c.version}`);
        }
        if (lines.length > 0) io.stdout.write(`${lines.join('\n')}\n`);
      }
      setExit(0);
    });
}
