import type { Command } from '../program.js';
import { UsageError } from '../../errors.js';
import { addRootOption, addTimeOptions, chooseTime, type TimeFlags } from '../options.js';
import type { CliIo, ExitCode } from '../io.js';

export interface NetFlags {
  snapshotBase: string[];
  timeout: string;
  retries: string;
  maxWait: string;
  concurrency?: string;
}

interface Flags extends TimeFlags, NetFlags {
  root: string;
  maxStaleness: string;
  json?: boolean;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

/** The network flags probe and resolve share; resolve asks one base one thing, so it leaves out fallback and concurrency. */
export function addNetOptions(cmd: Command, o: { several?: boolean } = {}): Command {
  const several = o.several !== false;
  cmd.option(
    '--snapshot-base <url>',
    several ? 'snapshot service base URL; repeat to fall back between mirrors in order' : 'snapshot service base URL',
    collect,
    [],
  );
  cmd
    .option('--timeout <seconds>', 'connect, headers and body timeout of one request', '30')
    .option('--retries <n>', 'retries per request on network errors, timeouts, 408, 425, 429 and 5xx', '4')
    .option('--max-wait <seconds>', 'longest single wait between retries, Retry-After included', '60');
  if (several) cmd.option('--concurrency <n>', 'requests in flight at once', '4');
  return cmd;
}

export function netNumbers(f: NetFlags): { timeoutMs: number; retries: number; maxWaitMs: number; concurrency: number } {
  const num = (name: string, v: string, min: number): number => {
    if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min) throw new UsageError(`--${name} ${v}`, `must be a number >= ${min}`);
    return Number(v);
  };
  return {
    timeoutMs: num('timeout', f.timeout, 0.001) * 1000,
    retries: Math.floor(num('retries', f.retries, 0)),
    maxWaitMs: num('max-wait', f.maxWait, 0) * 1000,
    concurrency: Math.floor(num('concurrency', f.concurrency ?? '1', 1)),
  };
}

export function register(program: Command, io: CliIo, setExit: (c: ExitCode) => void): void {
  const cmd = program
    .command('probe')
    .argument('[file...]', 'sources files (none: the sources files of ROOT)')
    .description('check that the snapshot repositories the sources hold (or would hold after rewrite) are there, whole and fresh')
    .option('--max-staleness <seconds>', 'fail an entry whose snapshot is this much older than the time asked', '172800')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nTime bound: one request, its retries and waits included, is cut off after timeout x (retries + 1) + max-wait x retries\n' +
        '(390 s with the defaults). N suites in A archives take at most 2N + A such requests per base tried, concurrency at a time.\n' +
        'Exit 0: every entry available, 1: some not, 2: bad input.',
    );
  addNetOptions(cmd);
  addTimeOptions(cmd);
  addRootOption(cmd);
  cmd.action(async (files: string[], flags: Flags) => {
    const [{ probeFiles }, { renderProbe }] = await Promise.all([import('../../probe/probe-files.js'), import('../render-probe.js')]);
    const explicit = flags.epoch ?? flags.date ?? flags.snapshot ?? (io.env.SOURCE_DATE_EPOCH || undefined);
    const time = await chooseTime(flags, io, { root: flags.root, files });
    const maxStalenessSec = Number(flags.maxStaleness);
    if (!Number.isFinite(maxStalenessSec) || maxStalenessSec < 0) throw new UsageError(`--max-staleness ${flags.maxStaleness}`, 'must be a number of seconds');
    const report = await probeFiles({
      files,
      root: flags.root,
      id: time.id,
      keepIds: explicit === undefined,
      bases: flags.snapshotBase.length > 0 ? flags.snapshotBase : io.env.SNAPSHOT_ARCHIVE_BASE ? [io.env.SNAPSHOT_ARCHIVE_BASE] : [],
      maxStalenessSec,
      ...netNumbers(flags),
      // a probe that waits out a Retry-After should say so, not look hung
      onRetry: (a) => a.waitMs !== undefined && io.stderr.write(`repro-sources: probe: ${a.url}: ${a.status !== undefined ? `HTTP ${a.status}` : a.error}; retry ${a.attempt} in ${Math.round(a.waitMs / 100) / 10}s\n`),
    });
    renderProbe(report, io, { json: flags.json === true });
    setExit(report.ok ? 0 : 1);
  });
}
