import type { Command } from '../program.js';
import type { CliIo, ExitCode } from '../io.js';

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  program
    .command('sbom')
    .argument('<lockfile>', 'a lock written by `repro-sources lock`')
    .description('print the lock as a CycloneDX 1.6 JSON SBOM (timestamp from SOURCE_DATE_EPOCH, when set)')
    .option('-o, --output <file>', 'write it here instead of to standard output')
    .action(async (file: string, f: { output?: string }) => {
      const [{ readLockfile }, { toCycloneDx, serializeCycloneDx }, { resolve }, { parseEpochString }] = await Promise.all([
        import('../../lock/read.js'),
        import('../../lock/sbom.js'),
        import('node:path'),
        import('../../snapshot/id.js'),
      ]);
      const lockfile = await readLockfile(resolve(io.cwd, file));
      const sde = io.env.SOURCE_DATE_EPOCH;
      const text = serializeCycloneDx(toCycloneDx(lockfile, { sourceDateEpoch: sde ? parseEpochString(sde) : undefined }));
      if (f.output === undefined || f.output === '-') io.stdout.write(text);
      else {
        const { writeFileAtomic } = await import('../../fs/atomic-write.js');
        await writeFileAtomic(resolve(io.cwd, f.output), text);
      }
      setExit(0);
    });
}
