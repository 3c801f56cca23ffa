/**
 * WWW-Authenticate (RFC 9110 11.6.1): scheme and auth-params, with quoted values that may hold
 * commas and spaces (a scope like "repository:a:pull,push repository:b:pull"). Pure.
 */

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*/y;
  let i = 0;
  let current: Challenge | undefined;
  while (i < header.length) {
    re.lastIndex = i;
    const tok = re.exec(header);
    if (!tok) {
      i++;
      continue;
    }
    const after = re.lastIndex;
    if (header[after] === '=') {
      // auth-param
      let j = after + 1;
      while (header[j] === ' ') j++;
      let value = '';
      if (header[j] === '"') {
        j++;
        while (j < header.length && header[j] !== '"') {
          if (header[j] === '\\' && j + 1 < header.length) j++;
          value += header[j];
          j++;
        }
        j++;
      } else {
        const end = header.indexOf(',', j);
        value = header.slice(j, end < 0 ? header.length : end).trim();
        j = end < 0 ? header.length : end;
      }
      if (current) current.params[tok[1]!.toLowerCase()] = value;
      while (j < header.length && (header[j] === ',' || header[j] === ' ')) j++;
      i = j;
    } else {
      current = { scheme: tok[1]!.toLowerCase(), params: {} };
      out.push(current);
      i = after;
      while (i < header.length && header[i] === ',') i++;
    }
  }
  return out;
}

/**
 * Token scopes (`type:name:actions`) with the actions of one resource merged and sorted:
 * registries order actions as they like ("push,pull"), and asking for the same access twice
 * under two spellings costs a wider token request for nothing.
 */
export function mergeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const colon = scope.lastIndexOf(':');
    if (colon <= 0) continue;
    const resource = scope.slice(0, colon);
    const actions = byResource.get(resource) ?? new Set<string>();
    for (const a of scope.slice(colon + 1).split(',')) if (a) actions.add(a);
    byResource.set(resource, actions);
  }
  return [...byResource].map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`);
}
