/**
 * Snapshot ids (`YYYYMMDDTHHMMSSZ`, always UTC) and the epochs, dates and SOURCE_DATE_EPOCH
 * strings they come from. Pure: the clock is passed in.
 */
import { EpochError } from '../errors.js';

/** 9999-12-31T23:59:59Z: the last second a snapshot id can name. */
export const MAX_EPOCH = 253402300799;

const ID_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Epoch seconds -> `YYYYMMDDTHHMMSSZ` in UTC. */
export function toSnapshotId(epoch: number): string {
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH) {
    throw new EpochError(String(epoch), 'not an epoch between 0 and 253402300799 (year 9999)');
  }
  const d = new Date(epoch * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

export function isSnapshotId(s: string): boolean {
  return parseIdParts(s) !== undefined;
}

/** `YYYYMMDDTHHMMSSZ` -> epoch seconds; throws on anything that is not a real UTC time. */
export function fromSnapshotId(id: string): number {
  const epoch = parseIdParts(id);
  if (epoch === undefined) throw new EpochError(id, 'not a snapshot id (YYYYMMDDTHHMMSSZ, a real UTC time)');
  return epoch;
}

function parseIdParts(id: string): number | undefined {
  const m = ID_RE.exec(id);
  if (!m) return undefined;
  return utcEpoch(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/** Epoch of a UTC calendar time, or undefined when a field is out of range (Feb 30, 24:00, ...). */
function utcEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  if (date.getUTCDate() !== d || date.getUTCMonth() !== mo - 1) return undefined;
  const ms = date.getTime();
  return ms < 0 ? undefined : ms / 1000;
}

/**
 * Strict SOURCE_DATE_EPOCH: an unsigned decimal integer and nothing else (no sign, space,
 * exponent, fraction or hex), as the reproducible-builds spec defines it.
 */
export function parseEpochString(value: string, name = 'SOURCE_DATE_EPOCH'): number {
  // a flag reads "--epoch 5", a variable "SOURCE_DATE_EPOCH=5": as the user wrote it
  const subject = name.startsWith('-') ? `${name} ${value}` : `${name}=${value}`;
  if (/^-\d+$/.test(value)) throw new EpochError(subject, 'negative: an epoch is seconds since 1970-01-01T00:00:00Z');
  if (!/^\d+$/.test(value)) throw new EpochError(subject, 'not a number: must be an unsigned decimal integer');
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n > MAX_EPOCH) throw new EpochError(subject, 'beyond year 9999: the last usable epoch is 253402300799');
  return n;
}

/**
 * An ISO-8601 date or date-time, or a snapshot-style `YYYYMMDD` / `YYYYMMDDTHHMMSSZ`, -> epoch.
 * A date-time without a zone is read as UTC, the only zone snapshot ids know.
 */
export function parseDate(value: string, subject = '--date'): number {
  const v = value.trim();
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(v) ?? /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (m) return checked(utcEpoch(+m[1]!, +m[2]!, +m[3]!, 0, 0, 0), value, subject);
  if (ID_RE.test(v)) return checked(parseIdParts(v), value, subject);
  m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(v);
  if (!m) throw new EpochError(`${subject} ${value}`, 'not an ISO-8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)');
  const base = checked(utcEpoch(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0)), value, subject);
  const zone = m[7];
  if (!zone || zone.toUpperCase() === 'Z') return base;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const offset = (+z[2]! * 60 + +z[3]!) * 60 * (z[1] === '-' ? -1 : 1);
  const epoch = base - offset;
  if (epoch < 0) throw new EpochError(`${subject} ${value}`, 'negative: before 1970-01-01T00:00:00Z');
  return epoch;
}

function checked(epoch: number | undefined, value: string, subject: string): number {
  if (epoch === undefined) throw new EpochError(`${subject} ${value}`, 'not a valid calendar date and time');
  if (epoch > MAX_EPOCH) throw new EpochError(`${subject} ${value}`, 'beyond year 9999');
  return epoch;
}

export interface EpochRules {
  /** Seconds since 1970 "now"; a time after it is refused unless allowFuture. */
  now: number;
  allowFuture?: boolean;
  /** The first snapshot the archive has; earlier times are refused. */
  firstSnapshot?: string;
  /** Names the archive in the error. */
  archive?: string;
}

/** Checks an epoch against the clock and the archive's first snapshot. Returns it unchanged. */
export function checkEpoch(epoch: number, rules: EpochRules, subject = `epoch ${epoch}`): number {
  if (epoch > MAX_EPOCH) throw new EpochError(subject, 'beyond year 9999');
  if (!rules.allowFuture && epoch > rules.now) {
    throw new EpochError(subject, `in the future (${toSnapshotId(epoch)} is after now, ${toSnapshotId(Math.floor(rules.now))}); pass --allow-future to use it anyway`);
  }
  if (rules.firstSnapshot !== undefined && epoch < fromSnapshotId(rules.firstSnapshot)) {
    throw new EpochError(subject, `before the first snapshot of ${rules.archive ?? 'the archive'} (${rules.firstSnapshot})`);
  }
  return epoch;
}

/** Epoch -> RFC 3339 `YYYY-MM-DDTHH:MM:SSZ`. */
export function toIso(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
}
