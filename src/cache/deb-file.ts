/**
 * .deb file names as apt's cache writes them (name_version_arch.deb, the epoch colon as %3a),
 * and the rule that keeps a name from a manifest inside the target directory. Pure.
 */
import { ReproSourcesError } from '../errors.js';

export interface DebName {
  package: string;
  version: string;
  architecture: string;
}

export function parseDebFileName(name: string): DebName | undefined {
  const m = /^([a-z0-9][a-z0-9+.-]*)_([^_/]+)_([a-z0-9-]+)\.deb$/.exec(name);
  if (!m) return undefined;
  return { package: m[1]!, version: decodeURIComponent(m[2]!), architecture: m[3]! };
}

/** The name apt gives a package in /var/cache/apt/archives. */
export function debFileName(d: DebName): string {
  return `${d.package}_${d.version.replace(/:/g, '%3a')}_${d.architecture}.deb`;
}

/** A file name from a manifest may only name a .deb directly inside the target directory. */
export function checkSafeDebName(name: string, where: string): void {
  const bad = (why: string): never => {
    throw new ReproSourcesError('UNSAFE_PATH', where, `refusing file name ${JSON.stringify(name)}: ${why}`, { exitCode: 1 });
  };
  if (name.includes('\0')) bad('it contains NUL');
  if (name.includes('/') || name.includes('\\')) bad('it contains a path separator');
  if (name === '.' || name === '..' || name.startsWith('.')) bad('it is a dot name');
  if (!name.endsWith('.deb')) bad('it is not a .deb');
  if (name.length > 255) bad('it is longer than 255 bytes');
}

