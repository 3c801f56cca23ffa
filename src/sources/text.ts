/**
 * Sources files are handled as latin1 strings: one char per byte, so any byte sequence
 * (invalid UTF-8 in a comment included) survives a round trip unchanged, and offsets are
 * byte offsets. Pure.
 */
import { InputError } from '../errors.js';

/** Largest sources file accepted: real ones are a few KiB; this refuses runaway input early. */
export const MAX_SOURCES_BYTES = 16 * 1024 * 1024;

export function bytesToText(bytes: Uint8Array | string): string {
  if (typeof bytes === 'string') return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function textToBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** One physical line: its content and the line ending that followed it ('' on a last line without one). */
export interface RawLine {
  text: string;
  eol: '' | '\n' | '\r\n';
  /** 1-based. */
  number: number;
}

export function splitLines(text: string): RawLine[] {
  const lines: RawLine[] = [];
  let start = 0;
  let n = 1;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) {
      lines.push({ text: text.slice(start), eol: '', number: n });
      break;
    }
    const cr = nl > start && text.charCodeAt(nl - 1) === 13;
    lines.push({ text: text.slice(start, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n', number: n++ });
    start = nl + 1;
  }
  return lines;
}

/** Refuses what can't be a sources file at all: too big, or binary. */
export function checkSourcesText(text: string, file: string | undefined): void {
  if (text.length > MAX_SOURCES_BYTES) throw new InputError(file, `too large (${text.length} bytes; a sources file is at most ${MAX_SOURCES_BYTES})`);
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const line = text.slice(0, nul).split('\n').length;
    throw new InputError(file, 'binary file (NUL byte): not a sources file', { line });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Entries must be UTF-8 (apt reads them as such); comments may hold anything. */
export function checkUtf8(lineText: string, file: string | undefined, line: number): void {
  if (!/[\x80-\xff]/.test(lineText)) return;
  try {
    utf8.decode(textToBytes(lineText));
  } catch {
    throw new InputError(file, 'invalid UTF-8 in an entry', { line });
  }
}

/** Text of a latin1-held line as the UTF-8 it encodes, for messages and reports. */
export function displayText(lineText: string): string {
  return Buffer.from(lineText, 'latin1').toString('utf8');
}
