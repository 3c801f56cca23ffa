/**
 * An independent second parser as the check on ours: on real Release, InRelease, Packages and
 * dpkg status files, every field value our reader returns must equal debian-control's
 * (GPL-3.0, so a devDependency only). The files are this machine's apt lists, which CI's
 * `apt-get update` fetches; compressed lists are opened with apt's own apt-helper.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseParagraphs, readFieldRows, readParagraphBatches, readParagraphs, stripClearsign } from '../../src/deb822/reader.js';
import { fileChunks } from '../../src/fs/file-chunks.js';

const require = createRequire(import.meta.url);
const debianControl = require('debian-control') as {
  parse(text: string): Record<string, string | string[]>;
  ParagraphStream: new () => NodeJS.ReadWriteStream;
};

const LISTS = '/var/lib/apt/lists';

function listFiles(re: RegExp): string[] {
  return readdirSync(LISTS).filter((f) => re.test(f)).map((f) => join(LISTS, f));
}

/**
 * debian-control keeps folded fields as arrays of trimmed lines; ours joins them with "\n" and
 * removes only the one leading space deb822 requires, so indentation within a value survives.
 * Compare both with every line trimmed.
 */
function normalise(obj: Record<string, string | string[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    const lines = Array.isArray(v) ? (v[0] === '' ? v.slice(1) : v) : [v];
    out.set(k, lines.map((l) => l.trim()).join('\n'));
  }
  return out;
}

function trimmedLines(ps: Map<string, string>[]): Map<string, string>[] {
  return ps.map((p) => new Map([...p].map(([k, v]) => [k, v.split('\n').map((l) => l.trim()).join('\n')])));
}

function theirParagraphs(text: string): Map<string, string>[] {
  return text
    .split(/\n(?:[ \t]*\n)+/)
    .filter((p) => p.trim() !== '')
    .map((p) => normalise(debianControl.parse(p)));
}

function decompressedList(file: string): string {
  // apt-helper cat-file reads every compression apt can store lists in (lz4, zst, xz, gz).
  return execFileSync('/usr/lib/apt/apt-helper', ['cat-file', file], { maxBuffer: 512 * 1024 * 1024 }).toString('utf8');
}

describe("deb822 reader agrees with debian-control on this machine's real indexes", () => {
  const inReleases = listFiles(/_InRelease$/);
  const packages = listFiles(/_Packages(\.(lz4|zst|xz|gz))?$/)
    // the two smallest keep the test quick; the big one is the benchmark's
    .map((f) => ({ f, size: readFileSync(f).length }))
    .sort((a, b) => a.size - b.size)
    .slice(0, 2)
    .map((x) => x.f);

  it('finds real apt lists to compare (CI runs apt-get update first)', () => {
    expect(inReleases.length).toBeGreaterThan(0);
    expect(packages.length).toBeGreaterThan(0);
  });

  it.each(inReleases.map((f) => [f.slice(LISTS.length + 1).replace(/^[^_]*_/, '')!, f]))('InRelease %s', (_name, file) => {
    const text = readFileSync(file!, 'utf8');
    const release = stripClearsign(text);
    expect(debianControl.parse(release)).toBeTruthy();
    const ours = parseParagraphs(release);
    const theirs = theirParagraphs(release);
    expect(ours).toHaveLength(1);
    expect(trimmedLines(ours)).toEqual(theirs);
    expect(ours[0]!.get('SHA256')!.split('\n').length).toBeGreaterThan(10);
  });

  it.each(packages.map((f) => [f.slice(LISTS.length + 1).replace(/^[^_]*_/, '')!, f]))('Packages %s', async (_name, file) => {
    const text = decompressedList(file!);
    const theirs = theirParagraphs(text);
    expect(theirs.length).toBeGreaterThan(10);
    expect(trimmedLines(parseParagraphs(text))).toEqual(theirs);
    // and streamed in small chunks
    async function* chunks(): AsyncGenerator<Buffer> {
      const b = Buffer.from(text);
      for (let i = 0; i < b.length; i += 4093) yield b.subarray(i, i + 4093);
    }
    const streamed = [];
    for await (const p of readParagraphs(chunks())) streamed.push(p);
    expect(trimmedLines(streamed)).toEqual(theirs);
    // the field-picking fast path sees the same values
    const wanted = ['Package', 'Version', 'Description', 'Depends', 'SHA256'];
    const picked = [];
    for await (const p of readParagraphs(chunks(), { fields: new Set(wanted) })) picked.push(p);
    const projected = streamed
      .map((p) => new Map(wanted.filter((k) => p.has(k)).map((k) => [k, p.get(k)!])))
      .filter((p) => p.size > 0);
    expect(picked).toEqual(projected);
    // and as the benchmarks and big files read it: from disk in 256 KiB chunks, a batch at a time
    const dir = mkdtempSync(join(tmpdir(), 'rs-crosscheck-'));
    try {
      writeFileSync(join(dir, 'Packages'), text);
      const batched = [];
      for await (const batch of readParagraphBatches(fileChunks(join(dir, 'Packages')), { fields: new Set(wanted) })) batched.push(...batch);
      expect(batched).toEqual(projected);
      // rows of byte ranges (what diff reads) hold the same values
      const rows: Map<string, string>[] = [];
      await readFieldRows(fileChunks(join(dir, 'Packages')), wanted, (r) => {
        const m = new Map<string, string>();
        wanted.forEach((k, i) => {
          if (r.start[i]! >= 0) m.set(k, r.buf[i]!.toString('utf8', r.start[i], r.end[i]));
        });
        rows.push(m);
      });
      expect(rows).toEqual(projected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dpkg status', async () => {
    const text = readFileSync('/var/lib/dpkg/status', 'utf8');
    const streamed = [];
    for await (const p of readParagraphs(createReadStream('/var/lib/dpkg/status'))) streamed.push(p);
    expect(trimmedLines(streamed)).toEqual(theirParagraphs(text));
    expect(streamed.length).toBeGreaterThan(50);
  });
});
