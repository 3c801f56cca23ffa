/**
 * Template text from templates/. The single-file bundle has no templates/ beside it, so its
 * build replaces this module with one that holds the text inline (scripts/bundle.mjs).
 */
import { readFile } from 'node:fs/promises';

export async function loadTemplate(name: string): Promise<string> {
  return readFile(new URL(`../../templates/${name}`, import.meta.url), 'utf8');
}
