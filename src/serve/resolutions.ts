/**
 * Which exact snapshot a time lands on (snapshot.debian.org: a redirect of the directory; the
 * Ubuntu service takes any time). A mapping is kept only once it can no longer change: the
 * service has shown an import newer than the id reached (so none can land between), or the time
 * is more than a day old. Kept mappings live in one timeline per archive, an entry per id
 * ("every time from id to until lands on id"), so the store grows with imports, not with the
 * times clients send.
 */
import { archiveInfo } from '../snapshot/archives.js';
import { fromSnapshotId, isSnapshotId } from '../snapshot/id.js';
import { FetchError } from './fetch.js';
import type { CacheStore } from './store-access.js';
import type { Upstream } from './upstream.js';

const TIMELINE = 'io.github.repro-sources.timeline';
const SETTLED_AFTER_SEC = 24 * 3600;
/** How long an unsettled answer, and the newest import, are reused. */
const FRESH_MS = 60_000;

type Timeline = [id: string, until: string][];

export interface ResolutionsOptions {
  upstream: Upstream;
  basesFor: (archive: string) => string[];
  cache: CacheStore;
  now?: () => number;
}

export class Resolutions {
  private readonly o: ResolutionsOptions;
  private readonly answers = new Map<string, { at: number; settled: boolean; id: Promise<string> }>();
  private readonly latest = new Map<string, { at: number; id: Promise<string> }>();
  private readonly timelines = new Map<string, Promise<Timeline>>();

  constructor(o: ResolutionsOptions) {
    this.o = o;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  exactId(archive: string, time: string): Promise<string> {
    const asked = /^\d{8}$/.test(time) ? `${time}T000000Z` : time;
    if (archiveInfo(archive)?.distro === 'ubuntu') return Promise.resolve(asked);
    const key = `${archive}/${asked}`;
    const have = this.answers.get(key);
    if (have && (have.settled || this.now() - have.at < FRESH_MS)) return have.id;
    const entry = { at: this.now(), settled: false, id: undefined as unknown as Promise<string> };
    entry.id = this.resolve(archive, asked, entry);
    entry.id.catch(() => this.answers.delete(key));
    this.answers.set(key, entry);
    return entry.id;
  }

  private async resolve(archive: string, asked: string, entry: { settled: boolean }): Promise<string> {
    const kept = (await this.timeline(archive)).find(([id, until]) => id <= asked && asked <= until);
    if (kept) {
      entry.settled = true;
      return kept[0];
    }
    let id: string;
    try {
      id = await this.ask(archive, asked);
    } catch (e) {
      // upstream gone: an exact id needs no answer to be served from what is kept under it
      if (isSnapshotId(asked) && !(e instanceof FetchError && e.status === 404)) return asked;
      throw e;
    }
    if (id === asked) {
      entry.settled = true;
      return id;
    }
    const old = this.now() / 1000 - fromSnapshotId(asked) > SETTLED_AFTER_SEC;
    if (old || (await this.newest(archive).catch(() => id)) > id) {
      entry.settled = true;
      await this.remember(archive, id, asked);
    }
    return id;
  }

  private async newest(archive: string): Promise<string> {
    const have = this.latest.get(archive);
    if (have && this.now() - have.at < FRESH_MS) return have.id;
    const p = this.ask(archive, 'now');
    p.catch(() => this.latest.delete(archive));
    this.latest.set(archive, { at: this.now(), id: p });
    return p;
  }

  /** One request without following redirects: 200 is the id itself, a 3xx names the id. */
  private async ask(archive: string, time: string): Promise<string> {
    let last: unknown;
    for (const base of this.o.basesFor(archive)) {
      try {
        const r = await this.o.upstream.get(`${base}${archive}/${time}/`, { followRedirects: false });
        await r.drop();
        if (r.status === 200 && time !== 'now') return time;
        const m = r.location ? new RegExp(`/${archive}/(\\d{8}T\\d{6}Z)/`).exec(new URL(r.location, base).pathname) : null;
        if (r.status >= 300 && r.status < 400 && m) return m[1]!;
        last = new FetchError(r.status === 404 ? 404 : 502, r.status === 404 ? `no snapshot of ${archive} at or before ${time}` : `upstream answered HTTP ${r.status} for ${archive}/${time}/`);
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private tag(archive: string): string {
    return `timeline-${archive}`;
  }

  private timeline(archive: string): Promise<Timeline> {
    let p = this.timelines.get(archive);
    if (!p) {
      p = this.o.cache.getNamed(this.tag(archive)).then((n) => parseTimeline(n?.annotations[TIMELINE]));
      this.timelines.set(archive, p);
    }
    return p;
  }

  /** Read, merge, write: two serve processes writing at once may lose an entry, which costs one more upstream request later. */
  private async remember(archive: string, id: string, until: string): Promise<void> {
    if (!this.o.cache.enabled) return;
    const stored = parseTimeline((await this.o.cache.getNamed(this.tag(archive)))?.annotations[TIMELINE]);
    const merged = new Map<string, string>(stored);
    for (const [i, u] of await this.timeline(archive)) if ((merged.get(i) ?? '') < u) merged.set(i, u);
    if ((merged.get(id) ?? '') < until) merged.set(id, until);
    const timeline: Timeline = [...merged].sort(([a], [b]) => (a < b ? -1 : 1));
    this.timelines.set(archive, Promise.resolve(timeline));
    await this.o.cache.putNamed(this.tag(archive), 'application/vnd.repro-sources.snapshot-timeline.v1', undefined, { [TIMELINE]: JSON.stringify(timeline) });
  }
}

function parseTimeline(text: string | undefined): Timeline {
  if (!text) return [];
  try {
    const t = JSON.parse(text) as unknown;
    return Array.isArray(t) ? (t.filter((e) => Array.isArray(e) && e.length === 2 && isSnapshotId(e[0]) && isSnapshotId(e[1])) as Timeline) : [];
  } catch {
    return [];
  }
}
