/**
 * The rewrite itself: sources text in, the same text with Debian and Ubuntu archive URIs
 * pinned to snapshot URLs out, plus a report of what happened to every entry and the
 * snapshot targets the result holds. Only the URI and the Valid-Until option change; every
 * other byte stays. Pure and idempotent.
 */
import { UsageError } from '../errors.js';
import { archiveInfo, ARCHIVES, type Distro } from '../snapshot/archives.js';
import { isSnapshotId } from '../snapshot/id.js';
import { findField, mapFieldWords, setField } from '../deb822/document.js';
import { editEntryLine, parseOneLine, serializeOneLine } from '../sources/one-line.js';
import { parseDeb822Sources, stanzasOf } from '../sources/deb822-sources.js';
import { bytesToText, displayText } from '../sources/text.js';
import type { SnapshotTarget } from '../sources/target.js';
import { serializeDeb822 } from '../deb822/document.js';
import { classifyEntry, type Classification } from './classify.js';

export type SourcesFormat = 'one-line' | 'deb822';

export interface RewriteOptions {
  /** The snapshot id to pin to. */
  id: string;
  /** Replaces the default base (http://snapshot.debian.org/archive/, https://snapshot.ubuntu.com/) of every archive. */
  snapshotBase?: string | undefined;
  /** Per-archive bases (e.g. the winners of a probe); wins over snapshotBase. */
  archiveBases?: Readonly<Record<string, string>> | undefined;
  /** Per-archive exact ids (e.g. from resolve: debian and debian-security import on their own schedules); wins over id. */
  archiveIds?: Readonly<Record<string, string>> | undefined;
  /** Entries already pinned keep their own id (probe of files as they are). */
  keepIds?: boolean | undefined;
  /** URI prefix -> snapshot archive name: treat entries under that URI as that archive. */
  map?: ReadonlyArray<readonly [string, string]> | undefined;
  /** URI prefixes to leave alone even if they look like an archive. */
  keep?: readonly string[] | undefined;
  /** Use apt's own snapshot support (Snapshot: / snapshot=) instead of rewriting URIs. */
  native?: boolean | undefined;
  /** Format; detected from the file name, then the content, when absent. */
  format?: SourcesFormat | undefined;
  /** For messages and reports. */
  file?: string | undefined;
}

export type ReportKind = 'pinned' | 'repinned' | 'unchanged' | 'foreign' | 'unsupported';

export interface ReportEntry {
  kind: ReportKind;
  file: string | undefined;
  line: number;
  type: string;
  uri: string;
  suites: string[];
  /** Snapshot archive, for archive entries. */
  archive?: string;
  /** The URI written (or, with native, kept). */
  newUri?: string;
  reason?: string;
  enabled: boolean;
  /** The snapshot repository the entry is pinned to. */
  target?: SnapshotTarget;
}

export interface RewriteResult {
  /** The new content, latin1-held (see sources/text.ts); equal to the input when nothing changed. */
  text: string;
  changed: boolean;
  format: SourcesFormat;
  report: ReportEntry[];
  targets: SnapshotTarget[];
}

export const REPORT_KIND_INFO: Record<ReportKind, string> = {
  pinned: 'pinned to a snapshot',
  repinned: 'already a snapshot URL, pinned to the new id',
  unchanged: 'already pinned to this id',
  foreign: 'not a Debian or Ubuntu archive: left as it is',
  unsupported: 'a release the snapshot service does not have: left as it is',
};

export function detectFormat(text: string, file?: string): SourcesFormat {
  if (file?.endsWith('.sources')) return 'deb822';
  if (file?.endsWith('.list')) return 'one-line';
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    return /^(deb|deb-src)([ \t[]|$)/.test(t) ? 'one-line' : 'deb822';
  }
  return 'one-line';
}

export function rewriteSources(input: Uint8Array | string, options: RewriteOptions): RewriteResult {
  if (!isSnapshotId(options.id)) throw new UsageError(options.id, 'not a snapshot id (YYYYMMDDTHHMMSSZ)');
  for (const [, archive] of options.map ?? []) {
    if (!ARCHIVES.has(archive)) throw new UsageError(`--map ${archive}`, `unknown snapshot archive (known: ${[...ARCHIVES.keys()].join(', ')})`);
  }
  const text = bytesToText(input);
  const format = options.format ?? detectFormat(text, options.file);
  return format === 'one-line' ? rewriteOneLine(text, options) : rewriteDeb822(text, options);
}

interface Decision {
  report: ReportEntry;
  newUri: string | undefined;
  target: SnapshotTarget | undefined;
}

function decide(uri: string, suites: string[], components: string[], type: string, line: number, enabled: boolean, archs: string[] | undefined, o: RewriteOptions): Decision {
  const c = classifyWithOverrides(uri, suites[0] ?? '', components, o);
  const base = { file: o.file, line, type, uri: displayText(uri), suites, enabled };
  if (c.kind === 'foreign' || c.kind === 'unsupported') {
    return { report: { ...base, kind: c.kind, reason: c.reason, ...(c.kind === 'unsupported' ? { archive: c.archive } : {}) }, newUri: undefined, target: undefined };
  }
  const snapshotBase = o.archiveBases?.[c.archive] ?? o.snapshotBase ?? (c.kind === 'snapshot' ? c.base : archiveInfo(c.archive)!.defaultBase);
  const baseUrl = snapshotBase.endsWith('/') ? snapshotBase : `${snapshotBase}/`;
  const id = c.kind === 'snapshot' && o.keepIds ? c.id : (o.archiveIds?.[c.archive] ?? o.id);
  const newUri = o.native ? uri : `${c.transport}${baseUrl}${c.archive}/${id}/${c.subdir}`;
  const kind: ReportKind = c.kind === 'archive' ? 'pinned' : c.id === id && newUri === uri ? 'unchanged' : 'repinned';
  const target: SnapshotTarget = {
    distro: c.distro,
    archive: c.archive,
    base: baseUrl,
    id,
    subdir: c.subdir,
    suites,
    components,
    ...(archs ? { architectures: archs } : {}),
    origin: { file: o.file ?? '<input>', line },
  };
  return { report: { ...base, kind, archive: c.archive, newUri, target }, newUri, target: enabled ? target : undefined };
}

function classifyWithOverrides(uri: string, suite: string, components: string[], o: RewriteOptions): Classification {
  const norm = (u: string): string => u.replace(/\/+$/, '');
  for (const k of o.keep ?? []) if (norm(uri) === norm(k) || uri.startsWith(`${norm(k)}/`)) return { kind: 'foreign', reason: 'kept by --keep' };
  for (const [prefix, archive] of o.map ?? []) {
    if (norm(uri) === norm(prefix) || uri.startsWith(`${norm(prefix)}/`)) {
      const transport = /^([a-z]+\+)/i.exec(uri)?.[1] ?? '';
      return { kind: 'archive', distro: ARCHIVES.get(archive)!.distro as Distro, archive, subdir: '', transport };
    }
  }
  return classifyEntry({ uri, suite, components });
}

function rewriteOneLine(text: string, o: RewriteOptions): RewriteResult {
  const doc = parseOneLine(text, o.file);
  const report: ReportEntry[] = [];
  const targets: SnapshotTarget[] = [];
  for (const l of doc.lines) {
    const e = l.entry;
    if (!e) continue;
    const arch = e.options.find((x) => x.key === 'arch' && x.op === '=')?.value.split(',');
    const d = decide(e.uri, [e.suite], e.components, e.type, l.number, true, arch, o);
    report.push(d.report);
    if (d.target) targets.push(d.target);
    if (d.newUri === undefined) continue;
    const setOptions: [string, string][] = [['check-valid-until', 'no']];
    if (o.native) setOptions.push(['snapshot', o.id]);
    l.text = editEntryLine(l.text, e, { uri: d.newUri, setOptions });
  }
  const out = serializeOneLine(doc);
  return { text: out, changed: out !== text, format: 'one-line', report, targets };
}

function rewriteDeb822(text: string, o: RewriteOptions): RewriteResult {
  const parsed = parseDeb822Sources(text, o.file);
  let doc = parsed.doc;
  const report: ReportEntry[] = [];
  const targets: SnapshotTarget[] = [];
  // Stanzas are edited one at a time, each on a freshly indexed document (an added line shifts the rest).
  for (let s = 0; s < parsed.stanzas.length; s++) {
    const stanza = stanzasOf(doc, o.file)[s]!;
    const type = stanza.types.join(' ');
    const replacements = new Map<string, string>();
    for (const uri of stanza.uris) {
      const d = decide(uri, stanza.suites, stanza.components, type, stanza.line, stanza.enabled, stanza.architectures, o);
      report.push(d.report);
      if (d.target && !(d.newUri !== undefined && [...replacements.values()].includes(d.newUri))) targets.push(d.target);
      if (d.newUri !== undefined) replacements.set(uri, d.newUri);
    }
    if (replacements.size === 0) continue;
    const p = stanza.paragraph;
    const urisField = findField(p, 'URIs')!;
    if (!o.native) {
      // two mirrors of one archive become one snapshot URL: keep it once
      const seen = new Set<string>();
      mapFieldWords(doc, urisField, (w) => {
        const to = replacements.get(w) ?? w;
        if (seen.has(to)) return '';
        seen.add(to);
        return to;
      });
    }
    // a stanza written in lowercase field names gets its new field in lowercase too
    const lower = urisField.name === urisField.name.toLowerCase();
    doc = setField(doc, p, lower ? 'check-valid-until' : 'Check-Valid-Until', 'no', urisField);
    if (o.native) {
      const again = doc.paragraphs[s]!;
      doc = setField(doc, again, lower ? 'snapshot' : 'Snapshot', o.id, findField(again, 'URIs'));
    }
  }
  const out = serializeDeb822(doc);
  return { text: out, changed: out !== text, format: 'deb822', report, targets };
}
