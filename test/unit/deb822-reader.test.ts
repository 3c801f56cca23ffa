import { describe, expect, it } from 'vitest';
import { field, parseParagraphs, readParagraphs, stripClearsign } from '../../src/deb822/reader.js';

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
});
