/**
 * The one-line sources.list format (sources.list(5)), lossless: every line keeps its exact
 * text and line ending; an entry records where its type, options, URI, suite and components
 * sit in the line, so an edit replaces only those characters. Pure.
 */
import { InputError } from '../errors.js';
import { checkSourcesText, checkUtf8, splitLines, type RawLine } from './text.js';

export type EntryType = 'deb' | 'deb-src';

export interface Span {
  start: number;
  end: number;
}

export interface OneLineOption {
  key: string;
  op: '=' | '+=' | '-=';
  value: string;
  span: Span;
}

export interface OneLineEntry {
  type: EntryType;
  typeSpan: Span;
  /** From '[' to ']' inclusive, when the entry has options. */
  optionsSpan: Span | undefined;
  options: OneLineOption[];
  uri: string;
  uriSpan: Span;
  suite: string;
  suiteSpan: Span;
  components: string[];
}

export interface OneLineLine extends RawLine {
  kind: 'blank' | 'comment' | 'entry';
  entry?: OneLineEntry;
}

export interface OneLineDocument {
  format: 'one-line';
  lines: OneLineLine[];
}

export function parseOneLine(text: string, file?: string): OneLineDocument {
  checkSourcesText(text, file);
  return { format: 'one-line', lines: splitLines(text).map((l) => parseLine(l, file)) };
}

export function serializeOneLine(doc: OneLineDocument): string {
  let out = '';
  for (const l of doc.lines) out += l.text + l.eol;
  return out;
}

function parseLine(raw: RawLine, file: string | undefined): OneLineLine {
  const t = raw.text;
  const first = t.search(/[^ \t]/);
  if (first < 0) return { ...raw, kind: 'blank' };
  if (t[first] === '#') return { ...raw, kind: 'comment' };
  checkUtf8(t, file, raw.number);
  // apt drops everything after '#' on an entry line
  const hash = t.indexOf('#');
  const body = hash < 0 ? t : t.slice(0, hash);
  const err = (message: string, at: number): InputError => new InputError(file, message, { line: raw.number, column: at + 1 });

  let pos = first;
  const word = (): Span | undefined => {
    while (pos < body.length && (body[pos] === ' ' || body[pos] === '\t')) pos++;
    if (pos >= body.length) return undefined;
    const start = pos;
    while (pos < body.length && body[pos] !== ' ' && body[pos] !== '\t') pos++;
    return { start, end: pos };
  };

  const typeSpan = word()!;
  const typeWord = body.slice(typeSpan.start, typeSpan.end);
  // "deb[arch=amd64]" (no space) is legal for apt too
  let type = typeWord;
  if (typeWord.includes('[')) {
    type = typeWord.slice(0, typeWord.indexOf('['));
    typeSpan.end = typeSpan.start + type.length;
    pos = typeSpan.end;
  }
  if (type !== 'deb' && type !== 'deb-src') throw err(`unknown type "${type}" (expected deb or deb-src)`, typeSpan.start);

  while (pos < body.length && (body[pos] === ' ' || body[pos] === '\t')) pos++;
  let optionsSpan: Span | undefined;
  const options: OneLineOption[] = [];
  if (body[pos] === '[') {
    const close = body.indexOf(']', pos);
    if (close < 0) throw err("unclosed '[' in options", pos);
    optionsSpan = { start: pos, end: close + 1 };
    const inner = pos + 1;
    const re = /[^ \t]+/g;
    const content = body.slice(inner, close);
    for (let m = re.exec(content); m; m = re.exec(content)) {
      const o = /^([A-Za-z0-9_.-]+)(\+=|-=|=)(.*)$/.exec(m[0]);
      if (!o) throw err(`option "${m[0]}" is not key=value`, inner + m.index);
      options.push({ key: o[1]!, op: o[2] as OneLineOption['op'], value: o[3]!, span: { start: inner + m.index, end: inner + m.index + m[0].length } });
    }
    pos = close + 1;
  }
  const uriSpan = word();
  if (!uriSpan) throw err('missing URI', pos);
  const suiteSpan = word();
  if (!suiteSpan) throw err('missing suite', pos);
  const components: string[] = [];
  for (let w = word(); w; w = word()) components.push(body.slice(w.start, w.end));
  const suite = body.slice(suiteSpan.start, suiteSpan.end);
  if (components.length === 0 && !suite.endsWith('/')) throw err('missing components (only a suite ending in "/" may have none)', suiteSpan.end);
  return {
    ...raw,
    kind: 'entry',
    entry: {
      type,
      typeSpan,
      optionsSpan,
      options,
      uri: body.slice(uriSpan.start, uriSpan.end),
      uriSpan,
      suite,
      suiteSpan,
      components,
    },
  };
}

export interface OneLineEdit {
  uri?: string;
  /** Options to have exactly this value: replaced where present, appended otherwise. */
  setOptions?: ReadonlyArray<readonly [string, string]>;
}

/**
 * The line's text with the edit applied; every character outside the replaced spans is kept.
 * Setting an option that already has the value changes nothing (idempotence).
 */
export function editEntryLine(text: string, entry: OneLineEntry, edit: OneLineEdit): string {
  const changes: { span: Span; text: string }[] = [];
  if (edit.uri !== undefined && edit.uri !== entry.uri) changes.push({ span: entry.uriSpan, text: edit.uri });
  const append: string[] = [];
  for (const [key, value] of edit.setOptions ?? []) {
    const existing = entry.options.filter((o) => o.key.toLowerCase() === key.toLowerCase());
    if (existing.length === 0) {
      append.push(`${key}=${value}`);
      continue;
    }
    for (const o of existing) if (o.op !== '=' || o.value !== value) changes.push({ span: o.span, text: `${o.key}=${value}` });
  }
  if (append.length > 0) {
    if (entry.optionsSpan) {
      // after the last option, before any blanks that pad the ']' ("[ arch=amd64 ]" stays padded)
      let at = entry.optionsSpan.end - 1;
      while (text[at - 1] === ' ' || text[at - 1] === '\t') at--;
      // a space unless right after the opening '[' (a value may itself end in '[')
      const sep = at - 1 === entry.optionsSpan.start ? '' : ' ';
      changes.push({ span: { start: at, end: at }, text: `${sep}${append.join(' ')}` });
    } else {
      changes.push({ span: { start: entry.uriSpan.start, end: entry.uriSpan.start }, text: `[${append.join(' ')}] ` });
    }
  }
  changes.sort((a, b) => b.span.start - a.span.start || b.span.end - a.span.end);
  let out = text;
  for (const c of changes) out = out.slice(0, c.span.start) + c.text + out.slice(c.span.end);
  return out;
}

/** Option lookup as apt does it: the last assignment of a key wins. */
export function optionValue(entry: OneLineEntry, key: string): string | undefined {
  let v: string | undefined;
  for (const o of entry.options) if (o.key.toLowerCase() === key.toLowerCase() && o.op === '=') v = o.value;
  return v;
}
