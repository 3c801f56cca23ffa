/**
 * Every --json document starts with `schemaVersion`: it changes only when a field is removed or
 * changes meaning (new fields may appear without it). The shapes are in the README.
 */
export const JSON_SCHEMA_VERSION = 1;

/** A --json document as the CLI prints it: schemaVersion first, two-space indent, one final newline. */
export function jsonDocument(doc: object): string {
  return `${JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...doc }, null, 2)}\n`;
}
