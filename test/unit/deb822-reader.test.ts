import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { field, parseParagraphs, readFieldRows, readParagraphs, stripClearsign } from '../../src/deb822/reader.js';
import { fileChunks } from '../../src/fs/file-chunks.js';

const TEXT = [
  'Package: hello',
  'Version: 2.10-3',
  'Description: example package',
  ' which greets',
  ' .',
  ' the world ',
  '# a comment inside the paragraph',
  'Tag:',
  ' a, b,',
  ' c',
  '',
  '',
  'Package: caf\u00e9',
  'Version:1:1.0~rc1+dfsg  ',
  '',
].join('\n');

const EXPECTED = [
  new Map([
    ['Package', 'hello'],
    ['Version', '2.10-3'],
    ['Description', 'example package\nwhich greets\n.\nthe world'],
    ['Tag', 'a, b,\nc'],
  ]),
  new Map([
    ['Package', 'caf\u00e9'],
    ['Version', '1:1.0~rc1+dfsg'],
  ]),
];

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(it: AsyncIterable<Map<string, string>>): Promise<Map<string, string>[]> {
  const out = [];
  for await (const p of it) out.push(p);
  return out;
}

describe('deb822 index reader', () => {
  it('reads fields, folded values, comments and blank runs', () => {
    expect(parseParagraphs(TEXT)).toEqual(EXPECTED);
  });

  it('reads CRLF files and a last paragraph without a final newline', () => {
    expect(parseParagraphs(TEXT.replace(/\n/g, '\r\n').trimEnd())).toEqual(EXPECTED);
  });

  it('gives the same paragraphs whatever the chunk boundaries, multi-byte characters included', async () => {
    const bytes = Buffer.from(TEXT, 'utf8');
    for (const size of [1, 2, 3, 7, 64, bytes.length]) {
      expect(await collect(readParagraphs(chunks(bytes, size)))).toEqual(EXPECTED);
    }
  });

  it('keeps only the wanted fields, and paragraphs that have none of them vanish', async () => {
    const fields = new Set(['Version', 'Tag']);
    const got = await collect(readParagraphs(chunks(Buffer.from(TEXT), 5), { fields }));
    expect(got).toEqual([new Map([['Version', '2.10-3'], ['Tag', 'a, b,\nc']]), new Map([['Version', '1:1.0~rc1+dfsg']])]);
    expect(parseParagraphs('Package: x\n\nVersion: 1\n', { fields: new Set(['Version']) })).toEqual([new Map([['Version', '1']])]);
  });

  it('looks fields up case-insensitively', () => {
    const [p] = parseParagraphs('valid-until: Sat, 01 Jan 2000 00:00:00 UTC\n');
    expect(field(p!, 'Valid-Until')).toBe('Sat, 01 Jan 2000 00:00:00 UTC');
    expect(field(p!, 'Date')).toBeUndefined();
  });

  it('strips a clearsign frame and undoes dash-escaping', () => {
    const signed = [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA512',
      '',
      'Origin: Debian',
      '- -----not a frame',
      'Suite: stable',
      '-----BEGIN PGP SIGNATURE-----',
      '',
      'iQIzBAEBCgAdFiEE',
      '-----END PGP SIGNATURE-----',
      '',
    ].join('\n');
    expect(stripClearsign(signed)).toBe('Origin: Debian\n-----not a frame\nSuite: stable\n');
    expect(stripClearsign('Origin: Debian\n')).toBe('Origin: Debian\n');
  });

  it('refuses a field asked for twice in rows (the row would not say which is which)', async () => {
    await expect(readFieldRows(chunks(Buffer.from('Package: a\n'), 4), ['Package', 'Version', 'Package'], () => {})).rejects.toThrow('readFieldRows: the fields are not distinct: Package, Version, Package');
  });

  it('picks the same values on its fast path as the line scanner, whatever the text and chunking', async () => {
    const name = fc.constantFrom('Package', 'Version', 'Depends', 'Description', 'X-Other', 'Package-Type');
    const value = fc.stringMatching(/^[a-z0-9 .:~+é-]{0,12}$/);
    // a field appears at most once per paragraph (deb822(5) makes repeats an error)
    const fields5 = fc.uniqueArray(fc.tuple(name, value, fc.array(value, { maxLength: 3 })), { selector: (f) => f[0], minLength: 1, maxLength: 5 });
    const extra = fc.constantFrom('# comment', ' ', '\t', '');
    const paragraph = fc.tuple(fields5, fc.array(fc.tuple(fc.nat(5), extra), { maxLength: 2 })).map(([fs, extras]) => {
      const lines = fs.map(([k, v, cont]) => [`${k}: ${v}`, ...cont.map((c) => ` ${c}`)].join('\n'));
      for (const [at, e] of extras) lines.splice(Math.min(at, lines.length), 0, e);
      return lines.join('\n');
    });
    const doc = fc.tuple(fc.array(paragraph, { maxLength: 8 }), fc.boolean(), fc.boolean()).map(([ps, crlf, finalNl]) => {
      const t = ps.join('\n\n') + (finalNl ? '\n' : '');
      return crlf ? t.replace(/\n/g, '\r\n') : t;
    });
    const fields = new Set(['Package', 'Version', 'Description']);
    await fc.assert(
      fc.asyncProperty(doc, fc.integer({ min: 1, max: 40 }), async (text, size) => {
        const expected = parseParagraphs(text)
          .map((p) => new Map([...p].filter(([k]) => fields.has(k))))
          .filter((p) => p.size > 0);
        expect(await collect(readParagraphs(chunks(Buffer.from(text), size), { fields }))).toEqual(expected);
        expect(parseParagraphs(text, { fields })).toEqual(expected);
        // and as byte ranges (what diff reads)
        const wanted = [...fields];
        const rows: Map<string, string>[] = [];
        await readFieldRows(chunks(Buffer.from(text), size), wanted, (r) => {
          rows.push(new Map(wanted.flatMap((k, i) => (r.start[i]! >= 0 ? [[k, r.buf[i]!.toString('utf8', r.start[i], r.end[i])] as [string, string]] : []))));
        });
        expect(rows).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('deb822 index reader on big input', () => {
  // Bigger than the reader's scanning slice (120 KiB), with the cases its fast path must hand
  // to the line scanner placed deep inside: a comment, a blank-only separator, CRLF, a tab.
  const paragraphs = Array.from({ length: 4000 }, (_, i) =>
    [
      `Package: pkg-${i}`,
      i % 7 === 0 ? `Source: src-${i}` : undefined,
      `Version: 1.${i}-${i % 3}`,
      `Maintainer: Jos\u00e9 M\u00fcller <m${i}@example.org>`,
      `Architecture: ${i % 5 === 0 ? 'all' : 'amd64'}`,
      i % 11 === 0 ? `Tag: a::b,\n c::d${i}` : undefined,
      `SHA256: ${String(i).padStart(64, '0')}`,
    ]
      .filter((l) => l !== undefined)
      .join('\n'),
  );
  const fields = new Set(['Package', 'Source', 'Version', 'Architecture', 'Tag', 'SHA256']);
  const variants: [string, string][] = [
    ['plain', `${paragraphs.join('\n\n')}\n`],
    ['a comment line', `${paragraphs.slice(0, 2500).join('\n\n')}\n\n# note\n${paragraphs.slice(2500).join('\n\n')}\n`],
    ['a blank-only separator', `${paragraphs.slice(0, 3000).join('\n\n')}\n \t \n${paragraphs.slice(3000).join('\n\n')}\n`],
    ['CRLF', `${paragraphs.join('\n\n')}\n`.replace(/\n/g, '\r\n')],
    ['fields in another order', `${paragraphs.map((p) => p.split('\n').reverse().join('\n').replace(/\n( c::d\d+)\nTag: (a::b,)/, '\nTag: $2\n$1')).join('\n\n')}\n`],
    // SHA256 is read backwards from a paragraph's end once it was seen there: paragraphs without
    // it, alone and in a long run, must not take a value from a neighbour
    ['a field near the end missing from some paragraphs', `${paragraphs.map((p, i) => (i % 13 === 0 || (i > 1000 && i < 1600) ? p.replace(/\nSHA256: .*/, '') : p)).join('\n\n')}\n`],
    ['a field moving from the end to the start', `${paragraphs.map((p, i) => (i % 17 === 0 ? p.replace(/^(Package: .*)\n([^]*)\n(SHA256: .*)$/, '$1\n$3\n$2') : p)).join('\n\n')}\n`],
    // the fast path walks a few lines in JS before it searches natively: fields beyond that walk,
    // forwards (after a long line) and backwards (a long line after SHA256)
    ['wanted fields more than a walk away', `${paragraphs.map((p, i) => (i % 9 === 0 ? p.replace(/^(Package: .*)/, `$1\nX-Long: ${'y'.repeat(300 + i)}`) : i % 10 === 0 ? `${p}\nX-Tail: ${'z'.repeat(300)}` : p)).join('\n\n')}\n`],
    ['a line ending in a blank', `${paragraphs.map((p, i) => (i === 2222 ? p.replace(/\nVersion: (.*)/, '\nVersion: $1 ') : p)).join('\n\n')}\n`],
    ['a paragraph longer than a chunk, no final newline', `${paragraphs.slice(0, 2000).join('\n\n')}\n\nPackage: long\nDescription: long\n${Array.from({ length: 3000 }, (_, i) => ` line ${i} ${'x'.repeat(90)}`).join('\n')}\nVersion: 9\n\n${paragraphs.slice(2000).join('\n\n')}`],
  ];
  for (const [name, text] of variants) {
    it(`picks what the line scanner picks: ${name}`, async () => {
      const expected = parseParagraphs(text)
        .map((p) => new Map([...p].filter(([k]) => fields.has(k))))
        .filter((p) => p.size > 0);
      expect(expected.length).toBe(name.startsWith('a paragraph longer') ? 4001 : 4000);
      const bytes = Buffer.from(text);
      for (const size of [1 << 20, 65536, 100_003, bytes.length]) {
        expect(await collect(readParagraphs(chunks(bytes, size), { fields }))).toEqual(expected);
      }
    });
  }

  it('reads a file through one reused buffer (fileChunks with reuse) as it reads fresh chunks', async () => {
    const text = `${paragraphs.join('\n\n')}\n`;
    const dir = mkdtempSync(join(tmpdir(), 'rs-deb822-'));
    const file = join(dir, 'Packages');
    writeFileSync(file, text);
    try {
      const expected = parseParagraphs(text, { fields });
      for (const size of [4096, 65536, 1 << 20]) {
        expect(await collect(readParagraphs(fileChunks(file, size, { reuse: true }), { fields }))).toEqual(expected);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('copies each byte a bounded number of times, also when no paragraph ends inside a chunk (CRLF)', async () => {
    const text = `${paragraphs.join('\n\n')}\n`.replace(/\n/g, '\r\n');
    const bytes = Buffer.from(text);
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const got = await collect(readParagraphs(chunks(bytes, 4096), { fields }));
      expect(got.length).toBe(4000);
      // carrying the unfinished paragraph whole would copy about bytes.length^2 / (2 * 4096) bytes
      const copied = concat.mock.results.reduce((n, r) => n + (r.value as Buffer).length, 0);
      expect(copied).toBeLessThan(2 * bytes.length);
    } finally {
      concat.mockRestore();
    }
  });
});
