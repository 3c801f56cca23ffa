/** What a root's dpkg says is installed (ROOT/var/lib/dpkg/status). Edge: reads ROOT. */
import { readFile } from 'node:fs/promises';
import { parseParagraphs } from '../deb822/reader.js';
import { inRoot } from '../fs/root.js';

/** The installed version of a package, or undefined (no status file, not installed). */
export async function installedVersion(root: string, pkg: string): Promise<string | undefined> {
  const text = await readFile(inRoot(root, '/var/lib/dpkg/status'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const p = parseParagraphs(text, { fields: new Set(['Package', 'Status', 'Version']) }).find((x) => x.get('Package') === pkg && (x.get('Status') ?? '').endsWith(' installed'));
  return p?.get('Version');
}
