/** Which requests serve answers, and what each path is. Pure. */
import { isSnapshotId } from '../snapshot/id.js';

export type PathKind =
  /** dists/SUITE/{InRelease,Release,Release.gpg}: the roots of trust, named by path */
  | { kind: 'release'; suite: string; file: string }
  /** dists/SUITE/<path listed in the Release> */
  | { kind: 'index'; suite: string; file: string }
  /** dists/SUITE/DIR/by-hash/{SHA256,SHA512,MD5Sum}/<hex>: the digest is in the name */
  | { kind: 'by-hash'; suite: string; dir: string; algo: HashAlgo; hash: string }
  /** pool/... .deb, .udeb, source files: the digest is in a Packages index */
  | { kind: 'pool'; file: string }
  | { kind: 'other' };

export type HashAlgo = 'SHA256' | 'SHA512' | 'MD5Sum';

const HASH_HEX: Record<HashAlgo, number> = { SHA256: 64, SHA512: 128, MD5Sum: 32 };

export interface ParsedRequest {
  archive: string;
  time: string;
  /** Decoded: as Packages' Filename and Release's file list name it. */
  path: string;
  /** As the client sent it: what goes upstream. */
  rawPath: string;
  what: PathKind;
}

export type RouteError = { status: 400 | 404; reason: string };

export function parseRequestPath(rawPath: string, archives: ReadonlySet<string>): ParsedRequest | RouteError {
  let path: string;
  const raw = rawPath.split('?')[0]!;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return { status: 400, reason: 'bad percent-encoding' };
  }
  if (path.includes('\0') || path.includes('\\')) return { status: 400, reason: 'bad characters in path' };
  const parts = path.split('/');
  if (parts.some((p) => p === '..' || p === '.')) return { status: 400, reason: 'dot segments are not allowed' };
  const m = /^\/([a-z-]+)\/([^/]+)\/(.*)$/.exec(path);
  if (!m) return { status: 404, reason: 'not a snapshot path (/ARCHIVE/ID/...)' };
  const [, archive, time, rest] = m as unknown as [string, string, string, string];
  if (!archives.has(archive)) return { status: 404, reason: `archive ${archive} is not served here` };
  if (!isSnapshotId(time) && !/^\d{8}(T\d{6}Z)?$/.test(time)) return { status: 404, reason: 'not a snapshot time' };
  const rawRest = raw.split('/').slice(3).join('/');
  return { archive, time, path: rest, rawPath: rawRest, what: classifyPath(rest) };
}

export function classifyPath(rest: string): PathKind {
  const byHash = /^dists\/([^/]+(?:\/updates)?)\/(.+)\/by-hash\/(SHA256|SHA512|MD5Sum)\/([0-9a-f]+)$/.exec(rest);
  if (byHash && byHash[4]!.length === HASH_HEX[byHash[3] as HashAlgo]) return { kind: 'by-hash', suite: byHash[1]!, dir: byHash[2]!, algo: byHash[3] as HashAlgo, hash: byHash[4]! };
  const rel = /^dists\/(.+?)\/(InRelease|Release|Release\.gpg)$/.exec(rest);
  if (rel && !rel[1]!.includes('/binary-')) return { kind: 'release', suite: rel[1]!, file: rel[2]! };
  const idx = /^dists\/([^/]+(?:\/updates)?)\/(.+)$/.exec(rest);
  if (idx) return { kind: 'index', suite: idx[1]!, file: idx[2]! };
  if (rest.startsWith('pool/')) return { kind: 'pool', file: rest };
  return { kind: 'other' };
}
