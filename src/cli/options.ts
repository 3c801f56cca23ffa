/** Flags several commands share, and how they turn into values. */
import { Option, type Command } from './program.js';
import { UsageError } from '../errors.js';
import { checkEpoch, fromSnapshotId, parseDate, parseEpochString, toSnapshotId } from '../snapshot/id.js';
import { firstSnapshotOf, isDistro, type Distro } from '../snapshot/archives.js';
import { epochFromFilesMtime, epochFromSourcesMtime } from '../apt/default-epoch.js';
import type { CliIo } from './io.js';

export interface TimeFlags {
  epoch?: string;
  date?: string;
  snapshot?: string;
  allowFuture?: boolean;
}

const MTIME_DEFAULT = { files: ", else the newest mtime of the FILEs, else of ROOT's main sources file", root: ", else the mtime of ROOT's main sources file", none: '' } as const;

export function addTimeOptions(cmd: Command, { snapshot = true, mtime = 'files' as keyof typeof MTIME_DEFAULT } = {}): Command {
  cmd.option('--epoch <seconds>', `time as seconds since 1970 (default: $SOURCE_DATE_EPOCH${MTIME_DEFAULT[mtime]})`);
  cmd.option('--date <iso>', 'time as an ISO-8601 date or date-time (UTC unless a zone is given)');
  if (snapshot) cmd.option('--snapshot <id>', 'an exact snapshot id, YYYYMMDDTHHMMSSZ');
  cmd.option('--allow-future', 'accept a time after now');
  return cmd;
}

export function addRootOption(cmd: Command): Command {
  return cmd.option('--root <dir>', 'the system root whose files are read and written', '/');
}

export function distroOption(): Option {
  return new Option('--distro <distro>', 'debian or ubuntu').choices(['debian', 'ubuntu']);
}

export interface ChosenTime {
  epoch: number;
  id: string;
  /** Where the time came from, for messages and --json. */
  source: 'snapshot' | 'epoch' | 'date' | 'env' | 'mtime';
  /** The file whose mtime gave the time (source 'mtime'). */
  file?: string;
}

/**
 * --snapshot > --epoch > --date > $SOURCE_DATE_EPOCH (empty counts as unset) > the newest mtime
 * of the named files, else the mtime of ROOT's main sources file (only when a root is given:
 * commands without one have no file to take a time from). A time from an mtime is said on
 * stderr in one line, naming the file. Checked against the clock and the distro's first snapshot.
 */
export async function chooseTime(
  flags: TimeFlags,
  io: CliIo,
  opts: { distro?: Distro | undefined; root?: string | undefined; files?: readonly string[] | undefined },
): Promise<ChosenTime> {
  const given = (['snapshot', 'epoch', 'date'] as const).filter((k) => flags[k] !== undefined);
  if (given.length > 1) throw new UsageError(given.map((g) => `--${g}`).join(' '), 'give only one of --snapshot, --epoch and --date');
  const rules = {
    now: io.now(),
    allowFuture: flags.allowFuture === true,
    firstSnapshot: firstSnapshotOf(opts.distro ?? 'debian'),
    archive: opts.distro ?? 'debian',
  };
  let epoch: number;
  let source: ChosenTime['source'];
  let subject: string;
  if (flags.snapshot !== undefined) {
    epoch = fromSnapshotId(flags.snapshot);
    source = 'snapshot';
    subject = `--snapshot ${flags.snapshot}`;
  } else if (flags.epoch !== undefined) {
    epoch = parseEpochString(flags.epoch, '--epoch');
    source = 'epoch';
    subject = `--epoch ${flags.epoch}`;
  } else if (flags.date !== undefined) {
    epoch = parseDate(flags.date);
    source = 'date';
    subject = `--date ${flags.date}`;
  } else if (io.env.SOURCE_DATE_EPOCH !== undefined && io.env.SOURCE_DATE_EPOCH !== '') {
    epoch = parseEpochString(io.env.SOURCE_DATE_EPOCH);
    source = 'env';
    subject = `SOURCE_DATE_EPOCH=${io.env.SOURCE_DATE_EPOCH}`;
  } else {
    const named = opts.files !== undefined && opts.files.length > 0;
    const found = named ? await epochFromFilesMtime(opts.files!) : opts.root === undefined ? undefined : await epochFromSourcesMtime(opts.root);
    if (!found) {
      throw new UsageError(
        'SOURCE_DATE_EPOCH',
        named
          ? 'not set, no --epoch/--date/--snapshot given, and none of the files to take an mtime from'
          : opts.root === undefined
          ? 'not set, and no --epoch/--date/--snapshot given'
          : `not set, no --epoch/--date/--snapshot given, and no sources file under ${opts.root} to take an mtime from`,
      );
    }
    epoch = found.epoch;
    source = 'mtime';
    subject = `mtime of ${found.file}`;
    checkEpoch(epoch, rules, subject);
    io.stderr.write(`repro-sources: time: ${toSnapshotId(epoch)} (SOURCE_DATE_EPOCH=${epoch}), the mtime of ${found.file}\n`);
    return { epoch, id: toSnapshotId(epoch), source, file: found.file };
  }
  checkEpoch(epoch, rules, subject);
  return { epoch, id: toSnapshotId(epoch), source };
}

export function parseDistro(value: string | undefined): Distro | undefined {
  if (value === undefined) return undefined;
  if (!isDistro(value)) throw new UsageError(`--distro ${value}`, 'must be debian or ubuntu');
  return value;
}
