/**
 * What changes between two Packages indexes, streamed: each index is reduced to arch -> name ->
 * version (a few MB for a full archive) as it streams. Pure over the paragraph streams.
 */
import type { Paragraph } from '../deb822/reader.js';

export const DIFF_FIELDS: ReadonlySet<string> = new Set(['Package', 'Version', 'Architecture']);

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

/** Versions by architecture, then package name: no per-package key strings to build and hash. */
export type Versions = Map<string, Map<string, string>>;

/**
 * The newest version of each name/arch (an index may list several). `wanted` limits the names
 * looked at (undefined: all).
 */
export async function versionsOf(batches: AsyncIterable<Paragraph[]>, wanted?: ReadonlySet<string>): Promise<Versions> {
  const out: Versions = new Map();
  for await (const batch of batches) {
    for (const p of batch) {
      const name = p.get('Package');
      const version = p.get('Version');
      if (!name || !version || (wanted && !wanted.has(name))) continue;
      addVersion(out, p.get('Architecture') ?? '', name, version);
    }
  }
  return out;
}

/** Adds every version of `from` to `into` where it is newer (suites of one archive, as apt picks). */
export function mergeVersions(into: Versions, from: Versions): Versions {
  for (const [arch, names] of from) for (const [name, version] of names) addVersion(into, arch, name, version);
  return into;
}

function addVersion(into: Versions, arch: string, name: string, version: string): void {
  let names = into.get(arch);
  if (names === undefined) into.set(arch, (names = new Map()));
  const prev = names.get(name);
  if (prev === undefined || (prev !== version && compareVersions(version, prev) > 0)) names.set(name, version);
}

export function diffVersions(before: Versions, after: Versions): PackagesDiff {
  const d: PackagesDiff = { changed: [], added: [], removed: [] };
  for (const [architecture, names] of after) {
    const old = before.get(architecture);
    for (const [pkg, to] of names) {
      const from = old?.get(pkg);
      if (from === undefined) d.added.push({ package: pkg, architecture, version: to });
      else if (from !== to) d.changed.push({ package: pkg, architecture, from, to });
    }
  }
  for (const [architecture, names] of before) {
    const now = after.get(architecture);
    for (const [pkg, version] of names) if (!now?.has(pkg)) d.removed.push({ package: pkg, architecture, version });
  }
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
