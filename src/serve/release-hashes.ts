/**
 * What a Release file promises about the files of its suite, for every hash it lists: serve
 * checks indexes (by path or by-hash name) against it. Pure.
 */
import { field, parseParagraphs, stripClearsign } from '../deb822/reader.js';
import type { HashAlgo } from './paths.js';

export interface Listed {
  /** Path relative to dists/SUITE/. */
  path: string;
  size: number;
  sha256?: string;
  sha512?: string;
  md5?: string;
}

export interface ReleaseHashes {
  /** Path -> what the Release says of it. */
  byPath: Map<string, Listed>;
  /** "ALGO:hex" -> the files listed with that hash (the same bytes can sit at several paths). */
  byHash: Map<string, Listed[]>;
  /** Has Suite or Codename and at least one hashed file: the least a Release is. */
  looksComplete: boolean;
}

const SECTIONS: [HashAlgo, 'sha256' | 'sha512' | 'md5', number][] = [['SHA256', 'sha256', 64], ['SHA512', 'sha512', 128], ['MD5Sum', 'md5', 32]];

export function releaseHashes(text: string): ReleaseHashes {
  const p = parseParagraphs(stripClearsign(text))[0] ?? new Map<string, string>();
  const byPath = new Map<string, Listed>();
  const byHash = new Map<string, Listed[]>();
  for (const [algo, key, hexLength] of SECTIONS) {
    for (const line of (field(p, algo) ?? '').split('\n')) {
      const m = /^([0-9a-f]+)\s+(\d+)\s+(\S+)$/.exec(line.trim());
      if (!m || m[1]!.length !== hexLength) continue;
      const entry = byPath.get(m[3]!) ?? { path: m[3]!, size: Number(m[2]) };
      byPath.set(m[3]!, entry);
      entry[key] = m[1]!;
      const k = `${algo}:${m[1]!}`;
      byHash.set(k, [...(byHash.get(k) ?? []), entry]);
    }
  }
  const named = field(p, 'Suite') !== undefined || field(p, 'Codename') !== undefined;
  return { byPath, byHash, looksComplete: named && byPath.size > 0 };
}

/**
 * The file a by-hash name stands for, when the Release lists one in that directory: with its
 * SHA256 (an MD5Sum name is only trusted through the SHA256 listed beside it).
 */
export function byHashTarget(r: ReleaseHashes, dir: string, algo: HashAlgo, hash: string): (Listed & { sha256: string }) | undefined {
  const candidates = r.byHash.get(`${algo}:${hash}`) ?? [];
  const inDir = candidates.find((l) => l.path.startsWith(`${dir}/`) && !l.path.slice(dir.length + 1).includes('/')) ?? candidates[0];
  return inDir?.sha256 ? (inDir as Listed & { sha256: string }) : undefined;
}
