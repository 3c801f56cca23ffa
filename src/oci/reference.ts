/**
 * Where a .deb set lives: `oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX]` (any OCI distribution
 * registry) or `oci-layout:DIR[:TAG|@sha256:HEX]` (an OCI image layout on disk). Pure.
 */
import { UsageError } from '../errors.js';

export type OciReference =
  | { kind: 'registry'; host: string; repository: string; tag?: string; digest?: string; plainHttp: boolean }
  | { kind: 'layout'; dir: string; tag?: string; digest?: string };

const REPO_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function parseReference(ref: string, opts: { plainHttp?: boolean } = {}): OciReference {
  const bad = (why: string): never => {
    throw new UsageError(ref, why);
  };
  let rest: string;
  let digest: string | undefined;
  let tag: string | undefined;
  const at = ref.lastIndexOf('@');
  const split = (s: string): string => {
    if (at > ref.indexOf(':') + 1 && at >= 0) {
      digest = ref.slice(at + 1);
      if (!DIGEST_RE.test(digest)) bad('not a sha256 digest after "@"');
      return s.slice(0, s.length - (ref.length - at));
    }
    return s;
  };
  if (ref.startsWith('oci://')) {
    rest = split(ref.slice('oci://'.length));
    const slash = rest.indexOf('/');
    if (slash <= 0) bad('expected oci://HOST[:PORT]/REPOSITORY[:TAG|@sha256:DIGEST]');
    const host = rest.slice(0, slash);
    let repository = rest.slice(slash + 1);
    const colon = repository.lastIndexOf(':');
    if (colon >= 0) {
      tag = repository.slice(colon + 1);
      repository = repository.slice(0, colon);
    }
    if (!REPO_RE.test(repository)) bad('repository names are lowercase [a-z0-9] parts separated by ".", "_", "-" and "/"');
    if (tag !== undefined && !TAG_RE.test(tag)) bad(`tag "${tag}" does not match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
    return { kind: 'registry', host, repository, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}), plainHttp: opts.plainHttp === true || isLoopback(host) };
  }
  if (ref.startsWith('oci-layout:')) {
    rest = split(ref.slice('oci-layout:'.length));
    // DIR may contain ':' only before its last path part; a tag is after the last ':' past the last '/'
    const colon = rest.lastIndexOf(':');
    let dir = rest;
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.slice(colon + 1);
      dir = rest.slice(0, colon);
      if (!TAG_RE.test(tag)) bad(`tag "${tag}" does not match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}`);
    }
    if (dir === '') bad('expected oci-layout:DIR[:TAG|@sha256:DIGEST]');
    return { kind: 'layout', dir, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
  }
  return bad('expected oci://HOST/REPOSITORY[:TAG|@sha256:DIGEST] or oci-layout:DIR[:TAG]');
}

export function formatReference(r: OciReference): string {
  const suffix = r.digest ? `@${r.digest}` : r.tag ? `:${r.tag}` : '';
  return r.kind === 'registry' ? `oci://${r.host}/${r.repository}${suffix}` : `oci-layout:${r.dir}${suffix}`;
}
