/**
 * Which locked packages satisfy a package's Depends and Pre-Depends: the edges of the SBOM's
 * dependency graph. Apt already chose the set; this only names, for each relation, the locked
 * package that serves it (by name, else by Provides), taking the first alternative that one
 * does. Pure.
 */

export interface Relations {
  name: string;
  /** Depends and Pre-Depends, as the index has them. */
  depends: string | undefined;
  provides: string | undefined;
}

/** The names in a relation field: "a (>= 1) | b:any, c [amd64] <!nocheck>" -> [["a", "b"], ["c"]]. */
export function parseRelations(field: string | undefined): string[][] {
  if (!field) return [];
  return field
    .split(',')
    .map((clause) => clause.split('|').map((alt) => /^\s*([a-z0-9][a-z0-9+.-]*)/.exec(alt)?.[1]).filter((n): n is string => n !== undefined))
    .filter((alts) => alts.length > 0);
}

/** name -> sorted names of the locked packages its relations are satisfied by. */
export function lockedDependencies(pkgs: readonly Relations[]): Map<string, string[]> {
  const providers = new Map<string, Set<string>>();
  const add = (what: string, by: string): void => {
    let s = providers.get(what);
    if (!s) providers.set(what, (s = new Set()));
    s.add(by);
  };
  for (const p of pkgs) {
    add(p.name, p.name);
    for (const [virtual] of parseRelations(p.provides)) add(virtual!, p.name);
  }
  const out = new Map<string, string[]>();
  for (const p of pkgs) {
    const deps = new Set<string>(out.get(p.name) ?? []);
    for (const alts of parseRelations(p.depends)) {
      const hit = alts.map((a) => providers.get(a)).find((s) => s !== undefined);
      for (const n of hit ?? []) if (n !== p.name) deps.add(n);
    }
    out.set(p.name, [...deps].sort());
  }
  return out;
}
