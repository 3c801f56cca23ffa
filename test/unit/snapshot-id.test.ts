import { describe, expect, it } from 'vitest';
import {
  checkEpoch,
  fromSnapshotId,
  isSnapshotId,
  MAX_EPOCH,
  parseDate,
  parseEpochString,
  toIso,
  toSnapshotId,
} from '../../src/snapshot/id.js';
import { EpochError } from '../../src/errors.js';

function epochError(fn: () => unknown): { subject: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EpochError);
    return { subject: (e as EpochError).subject, message: (e as EpochError).message };
  }
  throw new Error('expected an EpochError');
}

describe('toSnapshotId / fromSnapshotId', () => {
  it.each([
    [0, '19700101T000000Z'],
    [1700000000, '20231114T221320Z'],
    [951782400, '20000229T000000Z'], // leap day of a year divisible by 400
    [1709164800, '20240229T000000Z'],
    [4107542400, '21000301T000000Z'], // 2100 is not a leap year: Feb 28 + 1 day = Mar 1
    [2147483647, '20380119T031407Z'], // the last 32-bit second
    [2147483648, '20380119T031408Z'],
    [MAX_EPOCH, '99991231T235959Z'],
    [1711848600, '20240331T013000Z'], // inside Europe's spring-forward gap: UTC has none
  ])('%i <-> %s', (epoch, id) => {
    expect(toSnapshotId(epoch)).toBe(id);
    expect(fromSnapshotId(id)).toBe(epoch);
  });

  it('ignores the local time zone (repro-sources-list.sh formats in local time and appends Z)', () => {
    const before = process.env.TZ;
    try {
      for (const tz of ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
        process.env.TZ = tz;
        expect(toSnapshotId(1711848600)).toBe('20240331T013000Z');
        expect(fromSnapshotId('20240331T013000Z')).toBe(1711848600);
      }
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });

  it('refuses epochs outside 0..9999-12-31T23:59:59Z and non-integers', () => {
    expect(epochError(() => toSnapshotId(-1)).message).toBe('not an epoch between 0 and 253402300799 (year 9999)');
    expect(() => toSnapshotId(MAX_EPOCH + 1)).toThrow(EpochError);
    expect(() => toSnapshotId(1.5)).toThrow(EpochError);
  });

  it.each(['20230230T000000Z', '20231301T000000Z', '20231114T240000Z', '20231114T226000Z', '20231114T221360Z', '2023111T221320Z',
    '20231114T221320', '20231114t221320z', ' 20231114T221320Z', '20210229T000000Z'])('rejects %j', (id) => {
    expect(isSnapshotId(id)).toBe(false);
    expect(epochError(() => fromSnapshotId(id))).toEqual({ subject: id, message: 'not a snapshot id (YYYYMMDDTHHMMSSZ, a real UTC time)' });
  });
});

describe('parseEpochString (SOURCE_DATE_EPOCH)', () => {
  it('takes an unsigned decimal integer, leading zeros included', () => {
    expect(parseEpochString('1700000000')).toBe(1700000000);
    expect(parseEpochString('0')).toBe(0);
    expect(parseEpochString('0001700000000')).toBe(1700000000);
    expect(parseEpochString('253402300799')).toBe(MAX_EPOCH);
  });

  it.each([['', 'not a number'], ['abc', 'not a number'], [' 1700000000', 'not a number'], ['1700000000 ', 'not a number'],
    ['+1700000000', 'not a number'], ['1.7e9', 'not a number'], ['1700000000.5', 'not a number'], ['0x10', 'not a number'],
    ['-1', 'negative'], ['253402300800', 'beyond year 9999'], ['99999999999999999999', 'beyond year 9999']])(
    '%j is refused: %s',
    (value, rule) => {
      const e = epochError(() => parseEpochString(value));
      expect(e.subject).toBe(`SOURCE_DATE_EPOCH=${value}`);
      expect(e.message.startsWith(rule)).toBe(true);
    },
  );
});

describe('parseDate', () => {
  it.each([
    ['2023-11-14', 1699920000],
    ['20231114', 1699920000],
    ['2023-11-14T22:13:20Z', 1700000000],
    ['2023-11-14T22:13:20', 1700000000],
    ['2023-11-14 22:13:20Z', 1700000000],
    ['2023-11-14T22:13Z', 1699999980],
    ['2023-11-14T22:13:20.999Z', 1700000000],
    ['2023-11-15T00:13:20+02:00', 1700000000],
    ['2023-11-14T17:13:20-0500', 1700000000],
    ['20231114T221320Z', 1700000000],
  ])('%s -> %i', (value, epoch) => {
    expect(parseDate(value)).toBe(epoch);
  });

  it.each(['2023-02-29', '2023-13-01', 'yesterday', '2023-11-14T25:00:00Z', '14/11/2023', '10000-01-01'])('rejects %j', (value) => {
    expect(epochError(() => parseDate(value)).subject).toBe(`--date ${value}`);
  });
});

describe('checkEpoch', () => {
  const now = 1800000000;
  it('refuses the future unless allowed', () => {
    expect(epochError(() => checkEpoch(now + 1, { now })).message).toBe(
      'in the future (20270115T080001Z is after now, 20270115T080000Z); pass --allow-future to use it anyway',
    );
    expect(checkEpoch(now + 1, { now, allowFuture: true })).toBe(now + 1);
    expect(checkEpoch(now, { now })).toBe(now);
  });

  it('names the first snapshot of the archive for earlier times', () => {
    const e = epochError(() => checkEpoch(1677628799, { now, firstSnapshot: '20230301T000000Z', archive: 'ubuntu' }, 'SOURCE_DATE_EPOCH=1677628799'));
    expect(e).toEqual({ subject: 'SOURCE_DATE_EPOCH=1677628799', message: 'before the first snapshot of ubuntu (20230301T000000Z)' });
    expect(checkEpoch(1677628800, { now, firstSnapshot: '20230301T000000Z' })).toBe(1677628800);
  });

  it('formats RFC 3339', () => {
    expect(toIso(1700000000)).toBe('2023-11-14T22:13:20Z');
  });
});
