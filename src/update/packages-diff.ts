/**
 * What changes between two Packages indexes, streamed: each index is reduced to name/arch ->
 * version (a few MB for a full archive, see ./version-table.ts) as it streams. Pure over the
 * byte streams.
 */
import { readFieldRows, type FieldRow } from '../deb822/reader.js';
import { ByteKeys, VersionTable } from './version-table.js';

/** What diff reads of each paragraph, in this order. */
export const DIFF_FIELDS: readonly string[] = ['Package', 'Version', 'Architecture'];

export interface VersionChange {
  package: string;
  architecture: string;
  from: string;
  to: string;
}

export interface PackagesDiff {
  changed: VersionChange[];
  added: { package: string; architecture: string; version: string }[];
  removed: { package: string; architecture: string; version: string }[];
}

export type Versions = VersionTable;

const NO_ARCH = Buffer.alloc(0);

/**
 * The newest version of each name/arch in a Packages stream (an index may list several).
 * `wanted` limits the names looked at (undefined: all).
 */
export async function versionsOf(source: AsyncIterable<Uint8Array>, wanted?: ReadonlySet<string>): Promise<Versions> {
  const out = new VersionTable();
  let names: ByteKeys | undefined;
  if (wanted !== undefined) {
    names = new ByteKeys();
    for (const n of wanted) {
      const b = Buffer.from(n);
      names.add(b, 0, b.length);
    }
  }
  await readFieldRows(source, DIFF_FIELDS, (r: FieldRow) => {
    const { buf, start, end } = r;
    if (start[0]! < 0 || start[1]! < 0 || start[0] === end[0] || start[1] === end[1]) return;
    if (names !== undefined && names.find(buf[0]!, start[0]!, end[0]!) < 0) return;
    const archAt = start[2]!;
    out.set(buf[0]!, start[0]!, end[0]!, archAt < 0 ? NO_ARCH : buf[2]!, archAt < 0 ? 0 : archAt, archAt < 0 ? 0 : end[2]!, buf[1]!, start[1]!, end[1]!, compareVersions);
  });
  return out;
}

/** Adds every version of `from` to `into` where it is newer (suites of one archive, as apt picks). */
export function mergeVersions(into: Versions, from: Versions): Versions {
  into.merge(from, compareVersions);
  return into;
}

export function diffVersions(before: Versions, after: Versions): PackagesDiff {
  const d: PackagesDiff = { changed: [], added: [], removed: [] };
  const seen = new Uint8Array(before.size);
  before.compare(after, (j, i, same) => {
    if (i < 0) return void d.added.push(after.entry(j));
    seen[i] = 1;
    if (same) return;
    const { package: pkg, architecture, version } = after.entry(j);
    d.changed.push({ package: pkg, architecture, from: before.version(i), to: version });
  });
  for (let i = 0; i < before.size; i++) if (seen[i] === 0) d.removed.push(before.entry(i));
  const byName = (a: { package: string; architecture: string }, b: { package: string; architecture: string }): number =>
    a.package < b.package ? -1 : a.package > b.package ? 1 : a.architecture < b.architecture ? -1 : a.architecture > b.architecture ? 1 : 0;
  d.changed.sort(byName);
  d.added.sort(byName);
  d.removed.sort(byName);
  return d;
}

/** dpkg's version ordering (deb-version(7)): epoch, then upstream and revision with ~ before anything. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, string, string] => {
    const colon = v.indexOf(':');
    const epoch = colon > 0 ? Number(v.slice(0, colon)) : 0;
    const rest = colon > 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf('-');
    return dash > 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, ''];
  };
  const [ea, ua, ra] = parse(a);
  const [eb, ub, rb] = parse(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  return comparePart(ua, ub) || comparePart(ra, rb);
}

function order(c: string): number {
  if (c === '~') return -1;
  if (c === '') return 0;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let diff = 0;
    while ((i < a.length && !/\d/.test(a[i]!)) || (j < b.length && !/\d/.test(b[j]!))) {
      const ac = i < a.length && !/\d/.test(a[i]!) ? a[i]! : '';
      const bc = j < b.length && !/\d/.test(b[j]!) ? b[j]! : '';
      diff = order(ac) - order(bc);
      if (diff !== 0) return diff < 0 ? -1 : 1;
      if (ac) i++;
      if (bc) j++;
    }
    let na = '';
    let nb = '';
    while (i < a.length && /\d/.test(a[i]!)) na += a[i++];
    while (j < b.length && /\d/.test(b[j]!)) nb += b[j++];
    const x = Number(na || '0');
    const y = Number(nb || '0');
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
