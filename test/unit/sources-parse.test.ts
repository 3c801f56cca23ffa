import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { editEntryLine, parseOneLine, serializeOneLine } from '../../src/sources/one-line.js';
import { parseDeb822Sources } from '../../src/sources/deb822-sources.js';
import { rewriteSources } from '../../src/rewrite/rewrite.js';

function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return `${(e as InputError).subject}: ${(e as InputError).message}`;
  }
  throw new Error('expected an InputError');
}

describe('one-line parser', () => {
  it('reads type, options, URI, suite and components with their spans', () => {
    const doc = parseOneLine('deb [ arch=amd64,arm64 signed-by=/k.gpg lang-=de ] http://h/debian bookworm main contrib # c\n');
    const e = doc.lines[0]!.entry!;
    expect({ type: e.type, uri: e.uri, suite: e.suite, components: e.components }).toEqual({ type: 'deb', uri: 'http://h/debian', suite: 'bookworm', components: ['main', 'contrib'] });
    expect(e.options.map((o) => `${o.key}${o.op}${o.value}`)).toEqual(['arch=amd64,arm64', 'signed-by=/k.gpg', 'lang-=de']);
  });

  it('edits only the spans it changes', () => {
    const line = 'deb\t[arch=amd64]  http://h/debian   bookworm main';
    const e = parseOneLine(line).lines[0]!.entry!;
    expect(editEntryLine(line, e, { uri: 'http://s/x/', setOptions: [['check-valid-until', 'no']] })).toBe('deb\t[arch=amd64 check-valid-until=no]  http://s/x/   bookworm main');
    const plain = 'deb-src  http://h/debian bookworm main';
    expect(editEntryLine(plain, parseOneLine(plain).lines[0]!.entry!, { setOptions: [['check-valid-until', 'no']] })).toBe('deb-src  [check-valid-until=no] http://h/debian bookworm main');
    const already = 'deb [check-valid-until=yes] http://h/debian bookworm main';
    expect(editEntryLine(already, parseOneLine(already).lines[0]!.entry!, { setOptions: [['check-valid-until', 'no']] })).toBe('deb [check-valid-until=no] http://h/debian bookworm main');
  });

  it("adds an option as a word of its own after a value that ends in '[' (found by the fuzz test)", () => {
    const line = 'deb [ signed-by=/k.[ ] http://h/debian bookworm main';
    const once = editEntryLine(line, parseOneLine(line).lines[0]!.entry!, { setOptions: [['check-valid-until', 'no']] });
    expect(once).toBe('deb [ signed-by=/k.[ check-valid-until=no ] http://h/debian bookworm main');
    expect(editEntryLine(once, parseOneLine(once).lines[0]!.entry!, { setOptions: [['check-valid-until', 'no']] })).toBe(once);
  });

  it.each([
    ['deb [arch=amd64 http://h/debian bookworm main\n', "f.list:1:5: unclosed '[' in options"],
    ['# ok\nrpm http://h/ x main\n', 'f.list:2:1: unknown type "rpm" (expected deb or deb-src)'],
    ['deb\n', 'f.list:1:4: missing URI'],
    ['deb http://h/debian\n', 'f.list:1:20: missing suite'],
    ['deb http://h/debian bookworm\n', 'f.list:1:29: missing components (only a suite ending in "/" may have none)'],
    ['deb [arch] http://h/debian bookworm main\n', 'f.list:1:6: option "arch" is not key=value'],
    ['deb http://h/d\xe9bian bookworm main\n', 'f.list:1: invalid UTF-8 in an entry'],
    ['deb http://h/debian bookworm main\n\0\n', 'f.list:2: binary file (NUL byte): not a sources file'],
  ])('refuses %j', (text, message) => {
    expect(inputError(() => parseOneLine(text, 'f.list'))).toBe(message);
  });

  it('keeps invalid UTF-8 inside comments, byte for byte', () => {
    const text = '# caf\xe9 \xff\xfe\ndeb http://h/debian bookworm main\n';
    expect(serializeOneLine(parseOneLine(text))).toBe(text);
  });

  it('accepts flat repositories ("./" suite, no components)', () => {
    expect(parseOneLine('deb [trusted=yes] file:/srv/repo ./\n').lines[0]!.entry!.suite).toBe('./');
  });
});

describe('deb822 sources parser', () => {
  it.each([
    ['Types: deb\nSuites: bookworm\nComponents: main\n', 'f.sources:1: stanza without URIs'],
    ['URIs: http://h/debian\nSuites: bookworm\nComponents: main\n', 'f.sources:1: stanza without Types'],
    ['Types: deb rpm\nURIs: http://h/debian\nSuites: bookworm\nComponents: main\n', 'f.sources:1: unknown Types value "rpm" (expected deb or deb-src)'],
    ['Types: deb\nURIs: http://h/debian\nComponents: main\n', 'f.sources:1: stanza without Suites'],
    [' continued\nTypes: deb\n', 'f.sources:1:1: continuation line without a field above it'],
    ['Types: deb\nthis is not a field\n', 'f.sources:2:1: not a "Field: value" line'],
    ['Types: deb\nURIs: http://h/d\xe9bian\nSuites: x\nComponents: main\n', 'f.sources:2: invalid UTF-8 in an entry'],
  ])('refuses %j', (text, message) => {
    expect(inputError(() => parseDeb822Sources(text, 'f.sources'))).toBe(message);
  });

  it('reads folded values, comments inside stanzas and Enabled', () => {
    const doc = parseDeb822Sources('Types: deb\n# a comment\nURIs: http://a/debian\n  http://b/debian\nSuites: sid\nComponents: main\nEnabled: no\n');
    expect(doc.stanzas[0]).toMatchObject({ types: ['deb'], uris: ['http://a/debian', 'http://b/debian'], suites: ['sid'], enabled: false });
  });
});

describe('rewriteSources', () => {
  it('adds the field after URIs with the line ending of the line it follows, and keeps a missing final newline', () => {
    const r = rewriteSources('Types: deb\r\nURIs: http://ftp.de.debian.org/debian\r\nSuites: sid\r\nComponents: main', { id: '20240101T000000Z', file: 'x.sources' });
    expect(r.text).toBe('Types: deb\r\nURIs: http://snapshot.debian.org/archive/debian/20240101T000000Z/\r\nCheck-Valid-Until: no\r\nSuites: sid\r\nComponents: main');
    const last = rewriteSources('Types: deb\nSuites: sid\nComponents: main\nURIs: http://ftp.de.debian.org/debian', { id: '20240101T000000Z', file: 'x.sources' });
    expect(last.text).toBe('Types: deb\nSuites: sid\nComponents: main\nURIs: http://snapshot.debian.org/archive/debian/20240101T000000Z/\nCheck-Valid-Until: no');
  });

  it('uses --snapshot-base, per-archive bases, --map and --keep', () => {
    const text = 'deb http://ftp.de.debian.org/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\ndeb http://mirror.corp/internal-deb bookworm main\n';
    const r = rewriteSources(text, {
      id: '20240101T000000Z',
      file: 'x.list',
      snapshotBase: 'http://127.0.0.1:3142/',
      archiveBases: { 'debian-security': 'http://sec.example/archive/' },
      map: [['http://mirror.corp/internal-deb', 'debian']],
    });
    expect(r.text).toBe(
      'deb [check-valid-until=no] http://127.0.0.1:3142/debian/20240101T000000Z/ bookworm main\n' +
        'deb [check-valid-until=no] http://sec.example/archive/debian-security/20240101T000000Z/ bookworm-security main\n' +
        'deb [check-valid-until=no] http://127.0.0.1:3142/debian/20240101T000000Z/ bookworm main\n',
    );
    const kept = rewriteSources(text, { id: '20240101T000000Z', file: 'x.list', keep: ['http://ftp.de.debian.org/debian/'] });
    expect(kept.report.map((e) => e.kind)).toEqual(['foreign', 'pinned', 'foreign']);
  });

  it('re-pins a snapshot URL to the new id and keeps its base', () => {
    const r = rewriteSources('deb [check-valid-until=no] http://127.0.0.1:9/debian/20240101T000000Z/ bookworm main\n', { id: '20240202T000000Z', file: 'x.list' });
    expect(r.text).toBe('deb [check-valid-until=no] http://127.0.0.1:9/debian/20240202T000000Z/ bookworm main\n');
    expect(r.report[0]!.kind).toBe('repinned');
  });

  it('--native keeps URIs and adds apt snapshot options', () => {
    expect(rewriteSources('deb http://ftp.de.debian.org/debian trixie main\n', { id: '20250101T000000Z', native: true, file: 'x.list' }).text).toBe(
      'deb [check-valid-until=no snapshot=20250101T000000Z] http://ftp.de.debian.org/debian trixie main\n',
    );
    expect(rewriteSources('Types: deb\nURIs: http://ftp.de.debian.org/debian\nSuites: trixie\nComponents: main\n', { id: '20250101T000000Z', native: true, file: 'x.sources' }).text).toBe(
      'Types: deb\nURIs: http://ftp.de.debian.org/debian\nSnapshot: 20250101T000000Z\nCheck-Valid-Until: no\nSuites: trixie\nComponents: main\n',
    );
  });
});
