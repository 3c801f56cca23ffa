/**
 * What differs between two locks, per archive, in the shape `diff` reports snapshot changes:
 * packages changed (any of version, file, size, hash), added and removed. Pure.
 */
import { compareVersions } from '../update/packages-diff.js';
import { comparePackages, locateUrl, type Lockfile, type LockedPackage } from './lockfile.js';

export interface LockedChange {
  name: string;
  architecture: string;
  from: LockedPackage;
  to: LockedPackage;
  /** The fields that differ, in lock order. */
  fields: string[];
}

export interface ArchiveLockDiff {
  archive: string;
  from: string;
  to: string;
  changed: LockedChange[];
  added: LockedPackage[];
  removed: LockedPackage[];
}

export interface LockDiff {
  /** Request fields (other than the snapshots) that differ: packages, architectures, archives ... */
  request: string[];
  archives: ArchiveLockDiff[];
  same: boolean;
}

// not url and filename: a package whose file did not change keeps the URL of the snapshot it
// was first locked at (bump keeps it), and the lock still matches as long as the bytes do
const COMPARED = ['version', 'size', 'sha256', 'source', 'depends'] as const;

/** The archive of a locked package: the one whose URL its URL starts with. */
export function archiveOf(lock: Lockfile, p: LockedPackage): string {
  return locateUrl(lock, p.url)?.archive.name ?? '?';
}

export function diffLocks(before: Lockfile, after: Lockfile): LockDiff {
  const request: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  for (const k of ['packages', 'distro', 'codename', 'time', 'architectures'] as const) if (!same(before.request[k], after.request[k])) request.push(k);
  const strip = (l: Lockfile) => l.request.archives.map(({ snapshot: _s, url, ...rest }) => ({ ...rest, url: url.replace(/\d{8}T\d{6}Z\/.*$/, '') }));
  if (!same(strip(before), strip(after))) request.push('archives');
  const key = (p: LockedPackage): string => `${p.name}\t${p.architecture}`;
  const old = new Map(before.packages.map((p) => [key(p), p]));
  const now = new Map(after.packages.map((p) => [key(p), p]));
  const names = [...new Set([...before.request.archives, ...after.request.archives].map((a) => a.name))];
  const snap = (l: Lockfile, name: string): string => l.request.archives.find((a) => a.name === name)?.snapshot ?? '-';
  const per = new Map<string, ArchiveLockDiff>(names.map((n) => [n, { archive: n, from: snap(before, n), to: snap(after, n), changed: [], added: [], removed: [] }]));
  const slot = (name: string): ArchiveLockDiff => {
    let d = per.get(name);
    if (!d) per.set(name, (d = { archive: name, from: '-', to: '-', changed: [], added: [], removed: [] }));
    return d;
  };
  for (const [k, to] of now) {
    const from = old.get(k);
    if (!from) slot(archiveOf(after, to)).added.push(to);
    else {
      const fields = COMPARED.filter((f) => !same(from[f], to[f]));
      if (fields.length > 0) slot(archiveOf(after, to)).changed.push({ name: to.name, architecture: to.architecture, from, to, fields });
    }
  }
  for (const [k, from] of old) if (!now.has(k)) slot(archiveOf(before, from)).removed.push(from);
  const archives = [...per.values()];
  for (const a of archives) {
    a.changed.sort((x, y) => comparePackages(x.to, y.to));
    a.added.sort(comparePackages);
    a.removed.sort(comparePackages);
  }
  const same2 = request.length === 0 && archives.every((a) => a.changed.length + a.added.length + a.removed.length === 0 && a.from === a.to);
  return { request, archives, same: same2 };
}

/** The text `lock --check` prints: `diff`'s lines, with what differs when the version does not. */
export function renderLockDiff(d: LockDiff): string {
  const out: string[] = [];
  if (d.request.length > 0) out.push(`request: ${d.request.join(', ')} differ`);
  for (const a of d.archives) {
    out.push(`${a.archive} ${a.from} -> ${a.to}: ${a.changed.length} changed, ${a.added.length} added, ${a.removed.length} removed`);
    for (const c of a.changed) {
      const other = c.fields.filter((f) => f !== 'version');
      out.push(`  ~ ${c.name} ${c.architecture} ${c.from.version} -> ${c.to.version}${c.fields.includes('version') ? '' : ` (${other.join(', ')} differ${other.length === 1 ? 's' : ''})`}`);
    }
    for (const p of a.added) out.push(`  + ${p.name} ${p.architecture} ${p.version}`);
    for (const p of a.removed) out.push(`  - ${p.name} ${p.architecture} ${p.version}`);
  }
  return `${out.join('\n')}\n`;
}

/** The pull-request body of a lock bump: upgraded, downgraded, added, removed, with versions. */
export function bumpLockMarkdown(file: string, d: LockDiff, before: Lockfile, after: Lockfile): string {
  const lines = [`## Bump ${file} from ${before.request.time} to ${after.request.time}`, ''];
  if (d.same) lines.push('Already at this snapshot: nothing to change.', '');
  for (const a of d.archives) {
    const up = a.changed.filter((c) => compareVersions(c.to.version, c.from.version) > 0);
    const down = a.changed.filter((c) => compareVersions(c.to.version, c.from.version) < 0);
    const rebuilt = a.changed.filter((c) => c.from.version === c.to.version);
    lines.push(`**${a.archive}** ${a.from} → ${a.to}: ${up.length} upgraded, ${down.length} downgraded, ${a.added.length} added, ${a.removed.length} removed${rebuilt.length > 0 ? `, ${rebuilt.length} same version with other bytes` : ''}`);
    for (const c of up) lines.push(`- ${c.name} (${c.architecture}): ${c.from.version} → ${c.to.version}`);
    for (const c of down) lines.push(`- ${c.name} (${c.architecture}): ${c.from.version} → ${c.to.version} (downgrade)`);
    for (const c of rebuilt) lines.push(`- ${c.name} (${c.architecture}): ${c.to.version}, ${c.fields.join(', ')} changed`);
    for (const p of a.added) lines.push(`- ${p.name} (${p.architecture}): new, ${p.version}`);
    for (const p of a.removed) lines.push(`- ${p.name} (${p.architecture}): removed (was ${p.version})`);
    lines.push('');
  }
  return `${lines.join('\n')}`;
}
