/**
 * Lossless deb822 (deb822(5)) for files that get edited, such as *.sources: the document is
 * its lines, each with its exact text and line ending; paragraphs and fields are an index
 * over those lines. Serializing concatenates the lines, so an unchanged document gives back
 * its input byte for byte, and an edit touches only the lines of the field it changes.
 * Text is held as latin1 (one char per byte, see sources/text.ts). Pure.
 */
import { InputError } from '../errors.js';
import { splitLines, type RawLine } from '../sources/text.js';

export interface Deb822Field {
  /** The name as written. */
  name: string;
  /** Index of the field's first line in document.lines. */
  first: number;
  /** Index of its last continuation line (== first for a one-line field). */
  last: number;
}

export interface Deb822Paragraph {
  /** Line indexes from the first to the last line that belongs to the paragraph (comments inside included). */
  first: number;
  last: number;
  fields: Deb822Field[];
}

export interface Deb822Document {
  lines: RawLine[];
  paragraphs: Deb822Paragraph[];
}

export function parseDeb822(text: string, file?: string): Deb822Document {
  return indexDeb822(splitLines(text), file);
}

export function serializeDeb822(doc: Deb822Document): string {
  let out = '';
  for (const l of doc.lines) out += l.text + l.eol;
  return out;
}

/** Builds the paragraph/field index over lines (again after an edit). */
export function indexDeb822(lines: RawLine[], file?: string): Deb822Document {
  const paragraphs: Deb822Paragraph[] = [];
  let current: Deb822Paragraph | undefined;
  let field: Deb822Field | undefined;
  lines.forEach((l, i) => {
    const t = l.text;
    if (/^[ \t]*$/.test(t)) {
      current = undefined;
      field = undefined;
      return;
    }
    if (t.startsWith('#')) {
      // a comment inside a paragraph belongs to it, but does not end the field above it
      if (current) current.last = i;
      return;
    }
    if (t[0] === ' ' || t[0] === '\t') {
      if (!field || !current) throw new InputError(file, 'continuation line without a field above it', { line: l.number, column: 1 });
      field.last = i;
      current.last = i;
      return;
    }
    const colon = t.indexOf(':');
    if (colon <= 0) throw new InputError(file, `not a "Field: value" line`, { line: l.number, column: 1 });
    const name = t.slice(0, colon);
    if (/[ \t]/.test(name)) throw new InputError(file, `field name "${name}" contains a blank`, { line: l.number, column: 1 });
    if (!current) {
      current = { first: i, last: i, fields: [] };
      paragraphs.push(current);
    }
    field = { name, first: i, last: i };
    current.fields.push(field);
    current.last = i;
  });
  return { lines, paragraphs };
}

export function findField(p: Deb822Paragraph, name: string): Deb822Field | undefined {
  const lower = name.toLowerCase();
  return p.fields.find((f) => f.name.toLowerCase() === lower);
}

/**
 * The value of a field: the text after the colon and the continuation lines, comment lines
 * skipped, each trimmed, joined with "\n" (a folded field keeps its lines).
 */
export function fieldValue(doc: Deb822Document, f: Deb822Field): string {
  const parts: string[] = [];
  for (let i = f.first; i <= f.last; i++) {
    const t = doc.lines[i]!.text;
    if (i === f.first) parts.push(t.slice(t.indexOf(':') + 1).trim());
    else if (!t.startsWith('#')) parts.push(t.trim());
  }
  return parts.filter((p, i) => i > 0 || p !== '' || parts.length === 1).join('\n');
}

/** Whitespace-separated words of a field value (URIs, Suites, Types, Components ...). */
export function fieldWords(doc: Deb822Document, f: Deb822Field): string[] {
  return fieldValue(doc, f).split(/\s+/).filter(Boolean);
}

/**
 * Replaces words of a field in place (map returns the word unchanged to keep it, '' to drop
 * it with the blanks before it): other blanks, line breaks and comment lines stay as they were.
 */
export function mapFieldWords(doc: Deb822Document, f: Deb822Field, map: (word: string) => string): void {
  for (let i = f.first; i <= f.last; i++) {
    const line = doc.lines[i]!;
    if (i > f.first && line.text.startsWith('#')) continue;
    const from = i === f.first ? line.text.indexOf(':') + 1 : 0;
    const head = line.text.slice(0, from);
    const rest = line.text.slice(from).replace(/([ \t]*)([^ \t]+)/g, (_m, blanks: string, w: string) => {
      const to = map(w);
      return to === '' ? '' : blanks + to;
    });
    line.text = head + rest;
  }
}

/**
 * Gives a paragraph the field `name: value`. An existing field (any case) keeps its name as
 * written and is replaced only if its value differs; a new one goes right after `after`
 * (or at the paragraph's end) with the line ending of the line it follows.
 * Returns the document re-indexed.
 */
export function setField(doc: Deb822Document, p: Deb822Paragraph, name: string, value: string, after?: Deb822Field): Deb822Document {
  const existing = findField(p, name);
  if (existing) {
    if (fieldValue(doc, existing) === value && existing.first === existing.last) return doc;
    const first = doc.lines[existing.first]!;
    const lastEol = doc.lines[existing.last]!.eol;
    const sep = /^:([ \t]*)/.exec(first.text.slice(existing.name.length))?.[1] ?? ' ';
    const replacement: RawLine = { text: `${existing.name}:${sep || ' '}${value}`, eol: lastEol, number: first.number };
    const lines = [...doc.lines.slice(0, existing.first), replacement, ...doc.lines.slice(existing.last + 1)];
    return indexDeb822(lines);
  }
  const anchor = after ? after.last : p.last;
  const prev = doc.lines[anchor]!;
  const eol = prev.eol || documentEol(doc);
  const added: RawLine = { text: `${name}: ${value}`, eol: prev.eol, number: prev.number };
  const lines = [...doc.lines.slice(0, anchor), { ...prev, eol }, added, ...doc.lines.slice(anchor + 1)];
  return indexDeb822(lines);
}

/** The line ending the document mostly uses ("\n" when it has none). */
export function documentEol(doc: Deb822Document): '\n' | '\r\n' {
  let crlf = 0;
  let lf = 0;
  for (const l of doc.lines) {
    if (l.eol === '\r\n') crlf++;
    else if (l.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}
