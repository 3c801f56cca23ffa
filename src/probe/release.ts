/** What a Release/InRelease file says, and whether it is the suite an entry asks for. Pure. */
import { field, parseParagraphs, stripClearsign } from '../deb822/reader.js';

export interface ReleaseInfo {
  origin?: string;
  label?: string;
  suite?: string;
  codename?: string;
  /** As written (RFC 2822 date). */
  date?: string;
  validUntil?: string;
  architectures: string[];
  components: string[];
  /** path relative to dists/SUITE/ -> { sha256, size } */
  sha256: Map<string, { sha256: string; size: number }>;
}

export function parseRelease(text: string): ReleaseInfo {
  const p = parseParagraphs(stripClearsign(text))[0] ?? new Map<string, string>();
  const words = (name: string): string[] => (field(p, name) ?? '').split(/\s+/).filter(Boolean);
  const sha256 = new Map<string, { sha256: string; size: number }>();
  for (const line of (field(p, 'SHA256') ?? '').split('\n')) {
    const m = /^([0-9a-f]{64})\s+(\d+)\s+(\S+)$/.exec(line.trim());
    if (m) sha256.set(m[3]!, { sha256: m[1]!, size: Number(m[2]) });
  }
  const info: ReleaseInfo = { architectures: words('Architectures'), components: words('Components'), sha256 };
  for (const [k, name] of [['origin', 'Origin'], ['label', 'Label'], ['suite', 'Suite'], ['codename', 'Codename'], ['date', 'Date'], ['validUntil', 'Valid-Until']] as const) {
    const v = field(p, name);
    if (v !== undefined) info[k] = v;
  }
  return info;
}

export interface ReleaseCheck {
  suiteMatches: boolean;
  missingComponents: string[];
  missingArchitectures: string[];
}

/**
 * Does this Release serve the entry? The suite may be named by Suite or Codename; old
 * security suites ("buster/updates") list their components as "updates/main".
 */
export function checkRelease(r: ReleaseInfo, suite: string, components: readonly string[], architectures: readonly string[] = []): ReleaseCheck {
  const names = [r.suite, r.codename].filter((x): x is string => x !== undefined);
  const base = suite.replace(/\/updates$/, '');
  const suiteMatches = names.includes(suite) || names.includes(base) || (suite.endsWith('/updates') && names.some((n) => n === `${base}-security`));
  const have = new Set(r.components.map((c) => c.replace(/^updates\//, '')));
  const archs = new Set([...r.architectures, 'all']);
  return {
    suiteMatches,
    missingComponents: r.components.length === 0 ? [] : components.filter((c) => !have.has(c.split('/')[0]!)),
    missingArchitectures: r.architectures.length === 0 ? [] : architectures.filter((a) => !archs.has(a)),
  };
}

/** RFC 2822 date of a Release -> epoch seconds (undefined if unparsable). */
export function releaseTime(date: string | undefined): number | undefined {
  if (!date) return undefined;
  const t = Date.parse(date.replace(/\bUTC\b/, 'GMT'));
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}
