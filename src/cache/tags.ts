/**
 * Tags of a cache: what `cache tags` lists, and the `latest` tag a push without an explicit
 * tag moves, so that `cache list REF` and `cache pull REF` find the set just pushed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReproSourcesError } from '../errors.js';
import type { OciReference } from '../oci/reference.js';
import type { BlobStore } from '../oci/store.js';

export const LATEST_TAG = 'latest';
const REF_NAME = 'org.opencontainers.image.ref.name';

/** Points `tag` at the manifest `digest` the store already holds (one GET, one PUT of the same bytes). */
export async function moveTag(store: BlobStore, digest: string, tag: string): Promise<void> {
  const m = await store.getManifest({ digest });
  if (!m) throw new ReproSourcesError('NOT_FOUND', `${store.name}@${digest}`, 'manifest not in the store', { exitCode: 1 });
  await store.putManifest(m.bytes, tag);
}

/** The registry's tag listing, paged with its Link header; the store's authenticated request. */
interface RegistryInternals {
  base: string;
  call(method: 'GET', url: string, o: { scope: string }): Promise<{ statusCode: number; headers: Record<string, string | string[] | undefined>; body: { text(): Promise<string> } }>;
}

/** Every tag a repository or layout holds, sorted. */
export async function listTags(ref: OciReference, store: BlobStore): Promise<string[]> {
  if (ref.kind === 'layout') {
    const text = await readFile(join(ref.dir, 'index.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return [];
    let index: { manifests?: { annotations?: Record<string, string> }[] };
    try {
      index = JSON.parse(text);
    } catch {
      throw new ReproSourcesError('INPUT', join(ref.dir, 'index.json'), 'not JSON', { exitCode: 2 });
    }
    return [...new Set((index.manifests ?? []).map((m) => m.annotations?.[REF_NAME]).filter((t): t is string => t !== undefined))].sort();
  }
  // The registry store keeps its authenticated request private; tags are the one call it has no
  // method for yet (a BlobStore.listTags would replace this).
  const reg = store as unknown as RegistryInternals;
  const tags: string[] = [];
  let url: string | undefined = `${reg.base}/tags/list?n=1000`;
  for (let page = 0; url && page < 100; page++) {
    const r = await reg.call('GET', url, { scope: 'pull' });
    const text = await r.body.text();
    if (r.statusCode === 404) return [];
    if (r.statusCode !== 200) throw new ReproSourcesError('REGISTRY', store.name, `GET tags/list: HTTP ${r.statusCode}`);
    const doc = JSON.parse(text) as { tags?: string[] | null };
    tags.push(...(doc.tags ?? []));
    const link = r.headers.link;
    const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(Array.isArray(link) ? link[0] ?? '' : link ?? '')?.[1];
    url = next ? new URL(next, reg.base).toString() : undefined;
  }
  return [...new Set(tags)].sort();
}
