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
  let carry: Buffer | undefined;
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      acc.feed(chunk, false);
    } else {
      // Scan only whole lines (whole paragraphs when one ends in the chunk, which lets the
      // accumulator take its fast path): the rest waits for the next chunk.
      const bytes = carry ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const para = bytes.lastIndexOf(PARAGRAPH_END);
      const cut = para >= 0 ? para + 2 : bytes.lastIndexOf(10) + 1;
      carry = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : undefined;
      if (cut > 0) acc.feedBytes(bytes.subarray(0, cut), para >= 0);
    }
    if (ready.length > 0) {
      yield* ready;
      ready.length = 0;
    }
  }
  if (carry) acc.feedBytes(carry, false, true);
  acc.feed('', true);
  yield* ready;
}

const PARAGRAPH_END = Buffer.from('\n\n');

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

/**
 * Buffer's own slicing methods: what toString(encoding, start, end) calls after checking its
 * arguments; calling them directly is 15% faster on a 50 MB index.
 */
interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

class ParagraphAccumulator {
  private rest = '';
  private current: Paragraph | undefined;
  private lastKey: string | undefined;
  /** When scanning bytes: the chunk the latin1 text was made from (offsets match 1:1). */
  private bytes: Buffer | undefined;
  private readonly keepList: readonly string[] | undefined;
  private needles: string[] | undefined;
  private readonly emit: (p: Paragraph) => void;

  constructor(options: ReadOptions, emit: (p: Paragraph) => void) {
    this.keepList = options.fields ? [...options.fields] : undefined;
    this.emit = emit;
  }

  /**
   * Whole lines of bytes (whole paragraphs when endsParagraph). They are scanned as latin1 (one byte, one char: the cheapest string
   * V8 can make and search) and values are decoded as UTF-8 from the same offsets.
   */
  feedBytes(bytes: Buffer, endsParagraph: boolean, last = false): void {
    this.bytes = bytes;
    const text = (bytes as unknown as FastSlices).latin1Slice(0, bytes.length);
    if (!endsParagraph || !this.wholeParagraphs(text)) {
      const done = this.lines(text);
      // the last line of a file without a final newline
      if (last && done < text.length) this.line(text, done, text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length);
    }
    this.bytes = undefined;
  }

  /**
   * The fast path for picking a few fields out of a big index: per paragraph, one native
   * search per wanted field instead of JS work per line. Only for text that starts at a
   * paragraph and has nothing the search would misread (CR, comments, blank-looking lines);
   * returns false to leave such text to the line scanner.
   */
  private wholeParagraphs(text: string): boolean {
    const keep = this.keepList;
    if (keep === undefined || this.current !== undefined || hasTrickyLine(text)) return false;
    const needles = (this.needles ??= keep.map((k) => `\n${k}:`));
    const n = text.length;
    let pos = 0;
    while (pos < n) {
      while (pos < n && text.charCodeAt(pos) === 10) pos++;
      if (pos >= n) break;
      const sep = text.indexOf('\n\n', pos);
      const end = sep < 0 ? n : sep + 1;
      let p: Paragraph | undefined;
      for (let i = 0; i < keep.length; i++) {
        const key = keep[i]!;
        let at = pos;
        if (!text.startsWith(key, pos) || text.charCodeAt(pos + key.length) !== 58) {
          const hit = text.indexOf(needles[i]!, pos);
          if (hit < 0 || hit + 1 >= end) continue;
          at = hit + 1;
        }
        let s = at + key.length + 1;
        let e = text.indexOf('\n', s);
        if (e < 0 || e > end) e = end;
        while (s < e && isBlank(text.charCodeAt(s))) s++;
        let v = e;
        while (v > s && isBlank(text.charCodeAt(v - 1))) v--;
        let value = this.slice(text, s, v);
        // folded value: continuation lines start with a blank
        while (e + 1 < end && isBlank(text.charCodeAt(e + 1))) {
          at = e + 2;
          e = text.indexOf('\n', at);
          if (e < 0 || e > end) e = end;
          v = e;
          while (v > at && isBlank(text.charCodeAt(v - 1))) v--;
          const cont = this.slice(text, at, v);
          value = value.length > 0 ? `${value}\n${cont}` : cont;
        }
        (p ??= new Map()).set(key, value);
      }
      if (p !== undefined) this.emit(p);
      pos = end;
    }
    return true;
  }

  feed(chunk: string, final: boolean): void {
    const text = this.rest.length > 0 ? this.rest + chunk : chunk;
    const consumed = this.lines(text);
    this.rest = text.slice(consumed);
    if (final) {
      if (this.rest.length > 0) this.line(this.rest, 0, this.rest.length);
      this.rest = '';
      this.flush();
    }
  }

  /** Handles every complete line of text; returns the offset after the last newline. */
  private lines(text: string): number {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) return start;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(text, start, end);
      start = nl + 1;
    }
  }

  private slice(text: string, from: number, to: number): string {
    return this.bytes ? (this.bytes as unknown as FastSlices).utf8Slice(from, to) : text.slice(from, to);
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
      let e = end;
      while (e > start + 1 && isBlank(text.charCodeAt(e - 1))) e--;
      const cont = this.slice(text, start + 1, e);
      this.current.set(this.lastKey, prev.length > 0 ? `${prev}\n${cont}` : cont);
      return;
    }
    const colon = text.indexOf(':', start);
    if (colon < 0 || colon >= end) {
      this.lastKey = undefined;
      return;
    }
    this.current ??= new Map();
    let key: string | undefined;
    if (this.keepList !== undefined) {
      // Compare in place: allocating every key of a 50 MB index costs more than the scan.
      const len = colon - start;
      for (const k of this.keepList) {
        if (k.length === len && text.startsWith(k, start)) {
          key = k;
          break;
        }
      }
      if (key === undefined) {
        this.lastKey = undefined;
        return;
      }
    } else {
      key = this.slice(text, start, colon);
    }
    let s = colon + 1;
    let e = end;
    while (s < e && isBlank(text.charCodeAt(s))) s++;
    while (e > s && isBlank(text.charCodeAt(e - 1))) e--;
    this.current.set(key, this.slice(text, s, e));
    this.lastKey = key;
  }

  private flush(): void {
    if (this.current !== undefined && this.current.size > 0) this.emit(this.current);
    this.current = undefined;
    this.lastKey = undefined;
  }
}

/**
 * CR, a comment line, or a line of only blanks (a paragraph separator the fast path can't
 * see). Plain substring searches first: a regex over every chunk costs more than the reading.
 */
function hasTrickyLine(text: string): boolean {
  if (text.includes('\r')) return true;
  // one pass over line starts: substring searches for each case cost twice as much
  for (let nl = -1; ; ) {
    const c = text.charCodeAt(nl + 1);
    if (c === 35 /* # */) return true;
    if (c === 32 || c === 9) {
      let i = nl + 2;
      while (isBlank(text.charCodeAt(i))) i++;
      if (i >= text.length || text.charCodeAt(i) === 10) return true;
    }
    nl = text.indexOf('\n', nl + 1);
    if (nl < 0) return false;
  }
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

function isBlankLine(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (!isBlank(text.charCodeAt(i))) return false;
  }
  return true;
}
