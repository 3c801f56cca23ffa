/**
 * From sources files to the repositories a lock records, and back to the one sources file apt
 * resolves a lock with. `lock`, `lock --check` and `bump` of a lock all resolve through
 * renderSources, so a lock re-resolved from its own request sees what the first run saw. Pure.
 */
import { findField, fieldValue } from '../deb822/document.js';
import { parseDeb822Sources } from '../sources/deb822-sources.js';
import { parseOneLine } from '../sources/one-line.js';
import { bytesToText } from '../sources/text.js';
import { planRewrites, type SourcesFile } from '../rewrite/files.js';
import { UsageError } from '../errors.js';
import type { LockedArchive } from './lockfile.js';

/** A repository before its exact snapshot is known. */
export interface Repository {
  name: string;
  /** Base of the snapshot service, ending in '/'. */
  base: string;
  /** Path below `${base}${name}/${id}/` ('' but under debian-archive). */
  subdir: string;
  suites: string[];
  components: string[];
  signedBy?: string;
}

/** The enabled Debian/Ubuntu binary entries of the files, pinned at id, with their Signed-By. */
export function repositoriesOf(files: readonly SourcesFile[], o: { id: string; snapshotBase?: string | undefined }): Repository[] {
  const out: Repository[] = [];
  const seen = new Set<string>();
  for (const r of planRewrites(files, { id: o.id, ...(o.snapshotBase ? { snapshotBase: o.snapshotBase } : {}) })) {
    const signedBy = signedByLines(r.path, bytesToText(r.before));
    for (const e of r.result.report) {
      const t = e.target;
      if (!t || !e.type.split(/\s+/).includes('deb') || e.enabled === false) continue;
      const repo: Repository = { name: t.archive, base: t.base, subdir: t.subdir, suites: [...t.suites], components: [...t.components] };
      const key = signedBy.get(t.origin?.line ?? 0);
      if (key !== undefined) repo.signedBy = key;
      const id = JSON.stringify(repo);
      if (!seen.has(id)) out.push(repo);
      seen.add(id);
    }
  }
  if (out.length === 0) throw new UsageError('sources', 'no enabled Debian or Ubuntu "deb" entries to resolve packages from');
  return out;
}

/** Line of an entry (a stanza's first field for .sources) -> its Signed-By value. */
function signedByLines(path: string, text: string): Map<number, string> {
  const out = new Map<number, string>();
  if (path.endsWith('.sources')) {
    const d = parseDeb822Sources(text, path);
    for (const s of d.stanzas) {
      const f = findField(s.paragraph, 'Signed-By');
      if (f) out.set(s.line, fieldValue(d.doc, f));
    }
  } else {
    for (const l of parseOneLine(text, path).lines) {
      const o = l.entry?.options.find((x) => x.key.toLowerCase() === 'signed-by' && x.op === '=');
      if (o) out.set(l.number, o.value);
    }
  }
  return out;
}

/** The repositories of a lock's request, back in the shape the resolver takes. */
export function repositoriesOfLock(archives: readonly LockedArchive[]): Repository[] {
  return archives.map((a) => {
    const m = new RegExp(`^(.*/)${escapeRe(a.name)}/${a.snapshot}/(.*)$`).exec(a.url);
    if (!m) throw new UsageError(a.url, `the lock's URL of archive ${a.name} does not end in ${a.name}/${a.snapshot}/`);
    return { name: a.name, base: m[1]!, subdir: m[2]!, suites: [...a.suites], components: [...a.components], ...(a.signedBy !== undefined ? { signedBy: a.signedBy } : {}) };
  });
}

/** A repository at an exact snapshot, with base replaced when one is given. */
export function lockedArchive(r: Repository, snapshot: string, base?: string): LockedArchive {
  const b = base === undefined ? r.base : base.endsWith('/') ? base : `${base}/`;
  return { name: r.name, snapshot, url: `${b}${r.name}/${snapshot}/${r.subdir}`, suites: r.suites, components: r.components, ...(r.signedBy !== undefined ? { signedBy: r.signedBy } : {}) };
}

/** One deb822 sources file holding every archive of the lock, as apt reads it. */
export function renderSources(archives: readonly LockedArchive[]): string {
  return archives
    .map((a) => {
      const lines = ['Types: deb', `URIs: ${a.url}`, `Suites: ${a.suites.join(' ')}`, `Components: ${a.components.join(' ')}`];
      if (a.signedBy !== undefined) {
        const [first, ...rest] = a.signedBy.split('\n');
        lines.push(`Signed-By: ${first}`, ...rest.map((l) => ` ${l === '' ? '.' : l}`));
      }
      // a snapshot's Release is as old as the snapshot: its Valid-Until has long passed
      lines.push('Check-Valid-Until: no', '');
      return lines.join('\n');
    })
    .join('\n');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
