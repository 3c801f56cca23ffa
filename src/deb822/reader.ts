/**
 * Field-level deb822 reading for indexes (Packages, Release, InRelease, dpkg status):
 * paragraphs as field -> value maps, streamed in bounded memory. The lossless model that
 * sources rewriting needs is in ./document.ts; both follow deb822(5).
 *
 * Values: the text after "Field:" with surrounding blanks trimmed; a folded field keeps its
 * continuation lines joined by "\n", each with its leading space removed ("." lines stay ".").
 */

export type Paragraph = Map<string, string>;

export interface ReadOptions {
  /** Only keep these fields (exact, case-sensitive names): much faster on big indexes. */
  fields?: ReadonlySet<string>;
}

/** Case-insensitive field lookup (deb822 field names are case-insensitive). */
export function field(p: Paragraph, name: string): string | undefined {
  const v = p.get(name);
  if (v !== undefined) return v;
  const lower = name.toLowerCase();
  for (const [k, val] of p) if (k.toLowerCase() === lower) return val;
  return undefined;
}

/** Parses every paragraph of a complete text. Comment lines ('#') are skipped. */
export function parseParagraphs(text: string, options: ReadOptions = {}): Paragraph[] {
  const out: Paragraph[] = [];
  const acc = new ParagraphAccumulator(options, (p) => out.push(p));
  acc.feed(text, true);
  return out;
}

/**
 * Streams paragraphs out of chunks (Buffers are read as UTF-8). Memory is bounded by the
 * largest paragraph plus one chunk, whatever the size of the whole index.
 */
export async function* readParagraphs(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadOptions = {},
): AsyncGenerator<Paragraph> {
  const ready: Paragraph[] = [];
  const acc = new ParagraphAccumulator(options, (p) => ready.push(p));
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    acc.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }), false);
    if (ready.length > 0) {
      yield* ready;
      ready.length = 0;
    }
  }
  acc.feed(decoder.decode(), true);
  yield* ready;
}

/** Removes an OpenPGP cleartext signature frame (InRelease), undoing dash-escaping. */
export function stripClearsign(text: string): string {
  if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----')) return text;
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const headerEnd = text.indexOf(`${nl}${nl}`);
  const sigStart = text.indexOf(`${nl}-----BEGIN PGP SIGNATURE-----`);
  if (headerEnd < 0 || sigStart < 0 || sigStart < headerEnd) return text;
  const body = text.slice(headerEnd + 2 * nl.length, sigStart + nl.length);
  return body.split(nl).map((l) => (l.startsWith('- ') ? l.slice(2) : l)).join(nl);
}

class ParagraphAccumulator {
  private rest = '';
  private current: Paragraph | undefined;
  private lastKey: string | undefined;
  private readonly keep: ReadonlySet<string> | undefined;
  private readonly emit: (p: Paragraph) => void;

  constructor(options: ReadOptions, emit: (p: Paragraph) => void) {
    this.keep = options.fields;
    this.emit = emit;
  }

  feed(chunk: string, final: boolean): void {
    const text = this.rest.length > 0 ? this.rest + chunk : chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(text, start, end);
      start = nl + 1;
    }
    this.rest = text.slice(start);
    if (final) {
      if (this.rest.length > 0) this.line(this.rest, 0, this.rest.length);
      this.rest = '';
      this.flush();
    }
  }

  private line(text: string, start: number, end: number): void {
    const c = text.charCodeAt(start);
    if (start === end || isBlankLine(text, start, end)) {
      this.flush();
      return;
    }
    if (c === 35 /* # */) return;
    if (c === 32 || c === 9) {
      // continuation of the previous field
      if (this.lastKey === undefined || this.current === undefined) return;
      const prev = this.current.get(this.lastKey)!;
      const cont = text.slice(start + 1, end).trimEnd();
      this.current.set(this.lastKey, prev.length > 0 ? `${prev}\n${cont}` : cont);
      return;
    }
    const colon = text.indexOf(':', start);
    if (colon < 0 || colon >= end) {
      this.lastKey = undefined;
      return;
    }
    const key = text.slice(start, colon);
    if (this.keep !== undefined && !this.keep.has(key)) {
      this.lastKey = undefined;
      this.current ??= new Map();
      return;
    }
    this.current ??= new Map();
    this.current.set(key, text.slice(colon + 1, end).trim());
    this.lastKey = key;
  }

  private flush(): void {
    if (this.current !== undefined && this.current.size > 0) this.emit(this.current);
    this.current = undefined;
    this.lastKey = undefined;
  }
}

function isBlankLine(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
