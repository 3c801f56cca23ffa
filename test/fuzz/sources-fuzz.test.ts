/**
 * The parsers on random and mutated input: they never throw anything but InputError, never
 * hang, give back every byte they read, and rewriting is idempotent.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseOneLine, serializeOneLine } from '../../src/sources/one-line.js';
import { parseDeb822, serializeDeb822 } from '../../src/deb822/document.js';
import { rewriteSources } from '../../src/rewrite/rewrite.js';
import { bytesToText } from '../../src/sources/text.js';
import { PROJECT_ROOT } from '../helpers/cli.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/sources');
const fixtures = readdirSync(DIR).flatMap((c) =>
  readdirSync(join(DIR, c))
    .filter((f) => statSync(join(DIR, c, f)).isFile() && !f.endsWith('.txt'))
    .map((f) => ({ file: f, text: bytesToText(readFileSync(join(DIR, c, f))) })),
);

/** Runs fn; an InputError is a fine answer to bad input, anything else fails the property. */
function tolerateInputError<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InputError) return undefined;
    throw e;
  }
}

const pieces = ['deb ', 'deb-src ', '[', ']', ' ', '\t', '\n', '\r\n', '#', 'arch=amd64 ', 'http://ftp.de.debian.org/debian ', 'http://archive.ubuntu.com/ubuntu/ ',
  'bookworm ', 'noble-security ', 'main ', 'universe', 'Types: deb\n', 'URIs: ', 'Suites: ', 'Components: main\n', ' continued\n', 'Enabled: no\n', '\xe9', '\xff', ':'];
const sourcesLike = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 })), { maxLength: 40 }).map((a) => a.join(''));

function mutate(text: string, at: number, del: number, insert: string): string {
  const i = text.length === 0 ? 0 : at % (text.length + 1);
  return text.slice(0, i) + insert + text.slice(i + del);
}

describe('parsers under fuzzing', () => {
  it('one-line: round trip or InputError, on random text', () => {
    fc.assert(
      fc.property(sourcesLike, (text) => {
        const doc = tolerateInputError(() => parseOneLine(text, 'f.list'));
        if (doc) expect(serializeOneLine(doc)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('deb822: round trip or InputError, on random text', () => {
    fc.assert(
      fc.property(sourcesLike, (text) => {
        const doc = tolerateInputError(() => parseDeb822(text, 'f.sources'));
        if (doc) expect(serializeDeb822(doc)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated fixtures: rewrite is InputError or idempotent, and keeps unparsed bytes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.nat(), fc.nat(8), fc.constantFrom(...pieces, ''), (fx, at, del, insert) => {
        const text = mutate(fx.text, at, del, insert);
        const once = tolerateInputError(() => rewriteSources(text, { id: '20240101T000000Z', file: fx.file }));
        if (!once) return;
        const twice = rewriteSources(once.text, { id: '20240101T000000Z', file: fx.file });
        expect(twice.text).toBe(once.text);
        // a different id touches the same lines and nothing else
        const other = rewriteSources(once.text, { id: '20250101T000000Z', file: fx.file });
        expect(other.text.replaceAll('20250101T000000Z', '20240101T000000Z')).toBe(once.text);
      }),
      { numRuns: 1500 },
    );
  });
});
