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
 * largest paragraph plus one chunk, whatever the size of the index.
 */
export async function* readParagraphs(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadOptions = {},
): AsyncGenerator<Paragraph> {
  for await (const batch of readParagraphBatches(source, options)) yield* batch;
}

/**
 * readParagraphs, a batch at a time: what big indexes should use, since resuming an async
 * generator once per paragraph costs more than reading the paragraph.
 */
export async function* readParagraphBatches(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadOptions = {},
): AsyncGenerator<Paragraph[]> {
  let ready: Paragraph[] = [];
  const acc = new ParagraphAccumulator(options, (p) => ready.push(p));
  for await (const _ of feedChunks(acc, source)) {
    if (ready.length > 0) {
      const out = ready;
      ready = [];
      yield out;
    }
  }
  if (ready.length > 0) yield ready;
}

/**
 * Feeds a stream's chunks to acc, whole paragraphs at a time where it can, and yields after
 * each chunk (for readParagraphBatches to pass on what the chunk held).
 */
async function* feedChunks(acc: ParagraphAccumulator, source: AsyncIterable<Uint8Array | string>): AsyncGenerator<void> {
  // The end of the input so far that has not been fed yet: part of a paragraph (a copy: a
  // view would keep the whole chunk in memory).
  let carry: Buffer | undefined;
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      acc.feed(chunk, false);
    } else {
      let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (carry !== undefined) {
        // Finish the carried paragraph with the head of this chunk: joining whole chunks
        // would copy every byte once more.
        const boundary = carry[carry.length - 1] === 10 && bytes[0] === 10;
        const sep = boundary ? 0 : bytes.indexOf(PARAGRAPH_END);
        const head = boundary ? 1 : sep < 0 ? 0 : sep + 2;
        if (head > 0) {
          acc.feedBytes(Buffer.concat([carry, bytes.subarray(0, head)]), true);
          bytes = bytes.subarray(head);
        } else {
          bytes = Buffer.concat([carry, bytes]);
        }
        carry = undefined;
      }
      const done = feedWholeParagraphs(acc, bytes);
      let rest = bytes.subarray(done);
      if (done === 0) {
        // No paragraph ends here (a long one, or CRLF text): whole lines go to the line scanner
        // so that what is carried stays one line long.
        const lines = rest.lastIndexOf(10) + 1;
        if (lines > 0) acc.feedBytes(rest.subarray(0, lines), false);
        rest = rest.subarray(lines);
      }
      if (rest.length > 0) carry = Buffer.from(rest);
    }
    yield;
  }
  if (carry !== undefined) acc.feedBytes(carry, false, true);
  acc.feed('', true);
}

/**
 * The wanted fields of each paragraph as byte ranges, for a caller that compares or hashes
 * values rather than keeping them (diff of two indexes): no string and no Map per paragraph.
 * `onRow` sees one reused row; its ranges are valid only during the call. Field i of the row
 * is fields[i] (names distinct, exact case).
 */
export async function readFieldRows(source: AsyncIterable<Uint8Array>, fields: readonly string[], onRow: (row: FieldRow) => void): Promise<void> {
  if (new Set(fields).size !== fields.length) throw new TypeError(`readFieldRows: the fields are not distinct: ${fields.join(', ')}`);
  const row: RowSink = { buf: fields.map(() => EMPTY), start: new Int32Array(fields.length), end: new Int32Array(fields.length), onRow };
  // paragraphs the byte scan leaves to the line scanner (CRLF, comments, folded values) arrive
  // as Maps: their values are carried in buffers of their own
  const fromMap = (p: Paragraph): void => {
    for (let i = 0; i < fields.length; i++) {
      const v = p.get(fields[i]!);
      const b = v === undefined ? EMPTY : Buffer.from(v);
      row.buf[i] = b;
      row.start[i] = v === undefined ? -1 : 0;
      row.end[i] = b.length;
    }
    onRow(row);
  };
  const acc = new ParagraphAccumulator({ fields: new Set(fields) }, fromMap, row);
  for await (const _ of feedChunks(acc, source));
}

/** The row the byte scan fills, and whom it hands each paragraph's row to. */
type RowSink = FieldRow & { onRow: (r: FieldRow) => void };

/** A paragraph's wanted fields: field i is buf[i][start[i], end[i]), or absent when start[i] < 0. */
export interface FieldRow {
  buf: Buffer[];
  start: Int32Array;
  end: Int32Array;
}

const EMPTY = Buffer.alloc(0);

/**
 * Feeds the whole paragraphs at the start of bytes, in slices that V8 keeps in its young
 * generation (a string over 128 KiB gets fresh pages from the OS each time, which costs more
 * than scanning it); returns how many bytes it fed.
 */
function feedWholeParagraphs(acc: ParagraphAccumulator, bytes: Buffer): number {
  let start = 0;
  for (;;) {
    const para = bytes.lastIndexOf(PARAGRAPH_END, Math.min(bytes.length, start + SCAN_BYTES) - 2);
    if (para < start) break;
    acc.feedBytes(bytes.subarray(start, para + 2), true);
    start = para + 2;
  }
  return start;
}

const SCAN_BYTES = 120 << 10;
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
  private readonly keys: WantedKeys | undefined;
  private readonly emit: (p: Paragraph) => void;
  /** readFieldRows: the byte scan fills this row instead of making a Map. */
  private readonly row: RowSink | undefined;

  constructor(options: ReadOptions, emit: (p: Paragraph) => void, row?: RowSink) {
    this.row = row;
    this.keepList = options.fields ? [...options.fields] : undefined;
    const names = this.keepList;
    if (names !== undefined) {
      this.keys = {
        names,
        bytes: names.map((k) => Buffer.from(k)),
        needles: names.map((k) => Buffer.from(`\n${k}:`)),
        nearEnd: names.map(() => false),
      };
    }
    this.emit = emit;
  }

  /**
   * Whole lines of bytes (whole paragraphs when endsParagraph). Wanted fields of whole
   * paragraphs are picked out of the bytes themselves; anything else is scanned as latin1 text
   * (one byte, one char: the cheapest string V8 can make and search) whose values are decoded
   * as UTF-8 from the same offsets.
   */
  feedBytes(bytes: Buffer, endsParagraph: boolean, last = false): void {
    if (endsParagraph && this.keys !== undefined && this.current === undefined && !hasTrickyLine(bytes)) {
      this.wholeParagraphs(bytes, this.keys);
      return;
    }
    this.bytes = bytes;
    const text = (bytes as unknown as FastSlices).latin1Slice(0, bytes.length);
    const done = this.lines(text);
    // the last line of a file without a final newline
    if (last && done < text.length) this.line(text, done, text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length);
    this.bytes = undefined;
  }

  /**
   * The fast path for picking a few fields out of a big index, on bytes that start at a
   * paragraph and have nothing the search would misread (CR, comments, blank-looking lines):
   * per paragraph, one native search for its end and at most one per wanted field, and no
   * string but the values.
   */
  private wholeParagraphs(b: Buffer, keys: WantedKeys): void {
    const { names, bytes, needles, nearEnd } = keys;
    const row = this.row;
    // Where each needle occurs next (at or after where it was last searched from): a field
    // missing from most paragraphs is then searched for once, not once per paragraph.
    const next = names.map(() => -1);
    const n = b.length;
    let pos = 0;
    while (pos < n) {
      while (pos < n && b[pos] === 10) pos++;
      if (pos >= n) break;
      const sep = b.indexOf(PARAGRAPH_END, pos);
      const end = sep < 0 ? n : sep + 1;
      let p: Paragraph | undefined;
      let anyField = false;
      if (row !== undefined) row.start.fill(-1);
      // Indexes keep their fields in one order: look for each wanted field after the last one
      // found from the start.
      let from = pos;
      for (let i = 0; i < names.length; i++) {
        const key = bytes[i]!;
        let at = -1;
        let backward = false;
        if (startsWithKey(b, pos, key)) {
          at = pos;
        } else if (nearEnd[i]) {
          // Last seen near its paragraph's end (SHA256 in Packages): a search back from the end
          // reads a line or two, where one from the start would read the whole paragraph again.
          backward = true;
          let hit = walkBack(b, pos, end, key);
          if (hit === BEYOND) {
            const h = b.lastIndexOf(needles[i]!, end - 1);
            hit = h >= pos ? h + 1 : NONE;
          }
          if (hit !== NONE) at = hit;
          // missing here: back to searching forwards, so a long run of paragraphs without it is
          // not searched back through again and again
          else nearEnd[i] = false;
        } else if ((at = walkForward(b, from, end, key)) !== BEYOND) {
          // found in the next few lines, or the paragraph ended first: no native search
          if (at === NONE && from > pos) at = searchBefore(b, pos, from, needles[i]!);
        } else {
          at = NONE;
          if (next[i]! < from) {
            // (a negative offset would count from the end of the buffer)
            const hit = b.indexOf(needles[i]!, from > 0 ? from - 1 : 0);
            next[i] = hit < 0 ? n : hit;
          }
          if (next[i]! + 1 < end) at = next[i]! + 1;
          else if (from > pos) at = searchBefore(b, pos, from, needles[i]!);
        }
        if (at < 0) continue;
        const found = at;
        const vs = at + key.length + 1;
        let e = lineEnd(b, vs, end);
        if (e + 1 < end && isBlank(b[e + 1]!)) {
          // folded value: continuation lines start with a blank
          let value = decodeTrimmed(b, vs, e, true);
          while (e + 1 < end && isBlank(b[e + 1]!)) {
            at = e + 2;
            e = lineEnd(b, at, end);
            const cont = decodeTrimmed(b, at, e, false);
            value = value.length > 0 ? `${value}\n${cont}` : cont;
          }
          if (row === undefined) (p ??= new Map()).set(names[i]!, value);
          else setRowField(row, i, Buffer.from(value), 0, -1);
        } else if (row === undefined) {
          (p ??= new Map()).set(names[i]!, decodeTrimmed(b, vs, e, true));
        } else {
          setRowField(row, i, b, vs, e);
        }
        anyField = true;
        if (found !== pos) nearEnd[i] = end - e < found - pos;
        if (!backward && e + 1 > from) from = Math.min(e + 1, end);
      }
      if (p !== undefined) this.emit(p);
      else if (row !== undefined && anyField) row.onRow(row);
      pos = end;
    }
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
    // Short slices of a string are copies, and for ASCII the latin1 text is the UTF-8 text: no
    // call into C++. Longer ones would be views pinning the whole chunk in memory.
    if (this.bytes === undefined || (to - from < 13 && isAsciiRange(text, from, to))) return text.slice(from, to);
    return (this.bytes as unknown as FastSlices).utf8Slice(from, to);
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

/** The wanted fields, as the byte scan looks for them. */
interface WantedKeys {
  names: readonly string[];
  bytes: Buffer[];
  /** "\nName:" */
  needles: Buffer[];
  /** Per field: whether it was last found nearer its paragraph's end than its start. */
  nearEnd: boolean[];
}

/**
 * CR, a comment line, or a line of only blanks (a paragraph separator the fast path can't
 * see). Each is looked for with a native search for something rare in indexes (CR, a tab, '#',
 * a blank before a newline), then checked: a walk over every line costs twice as much. Bytes
 * with a line that merely ends in a blank go to the line scanner too (rare, and never wrong).
 */
function hasTrickyLine(b: Buffer): boolean {
  // ' \n' searched backward: Buffer's search hops from one match of the needle's first byte to
  // the next, and backward that byte is the newline, not the space, which is six times as common
  // in an index (11 ms against 16 for a 50 MB Packages)
  if (b[0] === 32 || b.indexOf(13) >= 0 || b.indexOf(9) >= 0 || b.lastIndexOf(BLANK_END) >= 0) return true;
  for (let i = b.indexOf(35); i >= 0; i = b.indexOf(35, i + 1)) {
    if (i === 0 || b[i - 1] === 10) return true;
  }
  return false;
}

const BLANK_END = Buffer.from(' \n');

/**
 * How far the JS walks below read before a native search takes over: a Buffer search pays a few
 * hundred instructions to enter C++, the walk about two a byte, and the next wanted field is
 * usually a line or two away (Version after Package, SHA256 last).
 */
const WALK = 256;
/** Not in the paragraph (where the walk looked). */
const NONE = -1;
/** The walk gave up before the paragraph's end: search natively. */
const BEYOND = -2;

/** The start of the first line in [from, end) that holds `key`, looking at most WALK bytes ahead. */
function walkForward(b: Buffer, from: number, end: number, key: Buffer): number {
  const limit = Math.min(end, from + WALK);
  for (let ls = from; ls < end; ) {
    if (startsWithKey(b, ls, key)) return ls;
    let e = ls;
    while (e < limit && b[e] !== 10) e++;
    if (e >= limit) return e >= end ? NONE : BEYOND;
    ls = e + 1;
  }
  return NONE;
}

/** The start of the last line in (pos, end) that holds `key`, looking at most WALK bytes back from `end`. */
function walkBack(b: Buffer, pos: number, end: number, key: Buffer): number {
  const limit = Math.max(pos, end - WALK);
  // b[end - 1] ends the paragraph's last line
  let i = b[end - 1] === 10 ? end - 2 : end - 1;
  for (;;) {
    while (i >= limit && b[i] !== 10) i--;
    if (i < limit) return limit === pos ? NONE : BEYOND;
    if (startsWithKey(b, i + 1, key)) return i + 1;
    i--;
  }
}

/** Out of order: a field before the one found last (a bounded native search). */
function searchBefore(b: Buffer, pos: number, from: number, needle: Buffer): number {
  const base = pos > 0 ? pos - 1 : 0;
  const hit = b.subarray(base, from).indexOf(needle);
  return hit >= 0 ? base + hit + 1 : NONE;
}

/** Field i of the row is b[from, to) without surrounding blanks (to < 0: all of b). */
function setRowField(row: FieldRow, i: number, b: Buffer, from: number, to: number): void {
  let s = from;
  let e = to < 0 ? b.length : to;
  while (s < e && isBlank(b[s]!)) s++;
  while (e > s && isBlank(b[e - 1]!)) e--;
  row.buf[i] = b;
  row.start[i] = s;
  row.end[i] = e;
}

function startsWithKey(b: Buffer, pos: number, key: Buffer): boolean {
  const k = key.length;
  if (b[pos + k] !== 58) return false;
  for (let j = 0; j < k; j++) if (b[pos + j] !== key[j]) return false;
  return true;
}

/** Where the line at `from` ends: its newline, or `end`. */
function lineEnd(b: Buffer, from: number, end: number): number {
  let e = from;
  while (e < end && b[e] !== 10) e++;
  return e;
}

/**
 * The text of b[from, to) without trailing blanks (and leading ones with trimStart); ASCII
 * (most values) is decoded as latin1, the cheaper copy.
 */
function decodeTrimmed(b: Buffer, from: number, to: number, trimStart: boolean): string {
  let s = from;
  let e = to;
  if (trimStart) while (s < e && isBlank(b[s]!)) s++;
  while (e > s && isBlank(b[e - 1]!)) e--;
  let ascii = true;
  for (let i = s; i < e; i++) {
    if (b[i]! > 127) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return (b as unknown as FastSlices).utf8Slice(s, e);
  const len = e - s;
  if (len === 0) return '';
  if (len > 16) return (b as unknown as FastSlices).latin1Slice(s, e);
  // Short values repeat (Architecture, Priority, many Versions): a hit costs a compare in JS
  // instead of a call into C++ and a new string.
  const slot = (len * 31 + b[s]! * 7 + b[e - 1]!) & 255;
  const seen = SHORT_VALUES[slot];
  if (seen !== undefined && seen.length === len) {
    let i = 0;
    while (i < len && seen.charCodeAt(i) === b[s + i]) i++;
    if (i === len) return seen;
  }
  return (SHORT_VALUES[slot] = (b as unknown as FastSlices).latin1Slice(s, e));
}

const SHORT_VALUES: (string | undefined)[] = new Array(256).fill(undefined);

function isAsciiRange(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
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
