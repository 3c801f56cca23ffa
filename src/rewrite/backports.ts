/**
 * BACKPORTS=1 (repro-sources-list.sh's switch): the Debian release's -backports suite next to
 * its -updates (or the release itself), unless the sources already have it. Pure.
 */
import { findField, parseDeb822, serializeDeb822 } from '../deb822/document.js';
import { parseOneLine, serializeOneLine } from '../sources/one-line.js';
import type { SourcesFormat } from './rewrite.js';

/** The text with CODENAME-backports added, or undefined when it has it or has nowhere to put it. */
export function addBackports(text: string, format: SourcesFormat, codename: string): string | undefined {
  const backports = `${codename}-backports`;
  const anchorSuites = [`${codename}-updates`, codename];
  if (format === 'one-line') {
    const doc = parseOneLine(text);
    const entries = doc.lines.filter((l) => l.entry?.type === 'deb');
    if (entries.some((l) => l.entry!.suite === backports)) return undefined;
    for (const suite of anchorSuites) {
      const at = doc.lines.findIndex((l) => l.entry?.type === 'deb' && l.entry.suite === suite && /\/debian\/\d{8}T\d{6}Z\/$/.test(l.entry.uri));
      if (at < 0) continue;
      const line = doc.lines[at]!;
      const e = line.entry!;
      const copy = line.text.slice(0, e.suiteSpan.start) + backports + line.text.slice(e.suiteSpan.end);
      doc.lines.splice(at + 1, 0, { ...line, text: copy, eol: line.eol || '\n', kind: 'comment' });
      if (!line.eol) line.eol = '\n';
      return serializeOneLine(doc);
    }
    return undefined;
  }
  const doc = parseDeb822(text);
  for (const p of doc.paragraphs) {
    const suites = findField(p, 'Suites');
    const uris = findField(p, 'URIs');
    if (!suites || !uris) continue;
    const words = doc.lines.slice(suites.first, suites.last + 1).map((l) => l.text).join(' ');
    if (words.split(/\s+/).includes(backports)) return undefined;
  }
  for (const suite of anchorSuites) {
    for (const p of doc.paragraphs) {
      const suites = findField(p, 'Suites');
      const uris = findField(p, 'URIs');
      if (!suites || !uris || !/\/debian\/\d{8}T\d{6}Z\//.test(doc.lines[uris.first]!.text)) continue;
      const line = doc.lines[suites.last]!;
      const words = line.text.split(/\s+/);
      if (!words.includes(suite) && !doc.lines.slice(suites.first, suites.last + 1).some((l) => l.text.split(/\s+/).includes(suite))) continue;
      line.text = `${line.text.replace(/[ \t]+$/, '')} ${backports}${line.text.match(/[ \t]+$/)?.[0] ?? ''}`;
      return serializeDeb822(doc);
    }
  }
  return undefined;
}
