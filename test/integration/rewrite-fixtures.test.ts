/**
 * Every fixture under test/fixtures/sources: the models give back the input byte for byte,
 * the rewrite gives exactly the reviewed expected/ bytes, a second rewrite changes nothing,
 * and real apt (isolated state) fetches exactly the index URLs in apt-uris.txt.
 * UPDATE_GOLDEN=1 rewrites expected/ and apt-uris.txt from the current code (review the diff).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOneLine, serializeOneLine } from '../../src/sources/one-line.js';
import { parseDeb822, serializeDeb822 } from '../../src/deb822/document.js';
import { detectFormat, rewriteSources } from '../../src/rewrite/rewrite.js';
import { bytesToText, textToBytes } from '../../src/sources/text.js';
import { aptPrintUris } from '../helpers/apt.js';
import { PROJECT_ROOT } from '../helpers/cli.js';

const DIR = join(PROJECT_ROOT, 'test/fixtures/sources');
const ID = '20231114T221320Z';
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const cases = readdirSync(DIR)
  .sort()
  .flatMap((c) =>
    readdirSync(join(DIR, c))
      .filter((f) => statSync(join(DIR, c, f)).isFile() && !f.endsWith('.txt'))
      .map((f) => ({ name: `${c}/${f}`, dir: join(DIR, c), file: f })),
  );

function aptName(file: string): string {
  return file.endsWith('.sources') ? file : file === 'sources.list' ? 'sources.list' : file.replace(/(\.list)?$/, '.list');
}

describe('rewrite fixtures', () => {
  it('has fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });

  describe.each(cases)('$name', ({ dir, file }) => {
    const input = readFileSync(join(dir, file));

    it('parses and serializes back to the same bytes', () => {
      const text = bytesToText(input);
      const out = detectFormat(text, file) === 'one-line' ? serializeOneLine(parseOneLine(text, file)) : serializeDeb822(parseDeb822(text, file));
      expect(textToBytes(out).equals(input)).toBe(true);
    });

    it('rewrites to exactly expected/, and a second rewrite changes nothing', () => {
      const r = rewriteSources(input, { id: ID, file });
      const got = textToBytes(r.text);
      const expectedFile = join(dir, 'expected', file);
      if (UPDATE) {
        mkdirSync(join(dir, 'expected'), { recursive: true });
        writeFileSync(expectedFile, got);
      }
      expect(got.equals(readFileSync(expectedFile))).toBe(true);
      const again = rewriteSources(got, { id: ID, file });
      expect(again.changed).toBe(false);
      expect(again.report.every((e) => e.kind === 'unchanged' || e.kind === 'foreign' || e.kind === 'unsupported')).toBe(true);
    });

    it('is read by real apt, which fetches exactly the recorded index URLs', async () => {
      const expected = readFileSync(join(dir, 'expected', file));
      const uris = (await aptPrintUris({ [aptName(file)]: expected }, { architectures: ['arm64'] })).filter((u) => !u.includes('/binary-all/')).sort();
      const golden = join(dir, 'apt-uris.txt');
      if (UPDATE) writeFileSync(golden, uris.map((u) => `${u}\n`).join(''));
      expect(existsSync(golden)).toBe(true);
      expect(uris).toEqual(readFileSync(golden, 'utf8').split('\n').filter(Boolean));
    });
  });
});
