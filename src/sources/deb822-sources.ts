/**
 * The *.sources view over a lossless deb822 document (sources.list(5), "DEB822-STYLE FORMAT"):
 * each paragraph is a stanza with Types, URIs, Suites, Components and options. Pure.
 */
import { InputError } from '../errors.js';
import { fieldValue, fieldWords, findField, parseDeb822, type Deb822Document, type Deb822Paragraph } from '../deb822/document.js';
import { checkSourcesText, checkUtf8 } from './text.js';
import type { EntryType } from './one-line.js';

export interface SourcesStanza {
  paragraph: Deb822Paragraph;
  /** 1-based line of the stanza's first field. */
  line: number;
  types: EntryType[];
  uris: string[];
  suites: string[];
  components: string[];
  enabled: boolean;
  architectures: string[] | undefined;
}

export interface Deb822SourcesDocument {
  format: 'deb822';
  doc: Deb822Document;
  stanzas: SourcesStanza[];
}

const FALSE = new Set(['no', 'false', 'without', 'off', '0', 'disable']);

export function parseDeb822Sources(text: string, file?: string): Deb822SourcesDocument {
  checkSourcesText(text, file);
  const doc = parseDeb822(text, file);
  return { format: 'deb822', doc, stanzas: doc.paragraphs.map((p) => readStanza(doc, p, file)) };
}

/** Re-reads the stanzas after the document changed. */
export function stanzasOf(doc: Deb822Document, file?: string): SourcesStanza[] {
  return doc.paragraphs.map((p) => readStanza(doc, p, file));
}

function readStanza(doc: Deb822Document, p: Deb822Paragraph, file: string | undefined): SourcesStanza {
  for (let i = p.first; i <= p.last; i++) {
    const l = doc.lines[i]!;
    if (!l.text.startsWith('#')) checkUtf8(l.text, file, l.number);
  }
  const line = doc.lines[p.fields[0]!.first]!.number;
  const words = (name: string): string[] | undefined => {
    const f = findField(p, name);
    return f ? fieldWords(doc, f) : undefined;
  };
  const typesField = findField(p, 'Types');
  const types = words('Types') ?? [];
  if (types.length === 0) throw new InputError(file, 'stanza without Types', { line });
  for (const t of types) {
    if (t !== 'deb' && t !== 'deb-src') {
      throw new InputError(file, `unknown Types value "${t}" (expected deb or deb-src)`, { line: doc.lines[typesField!.first]!.number });
    }
  }
  const uris = words('URIs') ?? [];
  if (uris.length === 0) throw new InputError(file, 'stanza without URIs', { line });
  const suites = words('Suites') ?? [];
  if (suites.length === 0) throw new InputError(file, 'stanza without Suites', { line });
  const components = words('Components') ?? [];
  if (components.length === 0 && suites.some((s) => !s.endsWith('/'))) throw new InputError(file, 'stanza without Components (only suites ending in "/" may have none)', { line });
  const enabledField = findField(p, 'Enabled');
  const enabled = enabledField ? !FALSE.has(fieldValue(doc, enabledField).toLowerCase()) : true;
  return { paragraph: p, line, types: types as EntryType[], uris, suites, components, enabled, architectures: words('Architectures') };
}
