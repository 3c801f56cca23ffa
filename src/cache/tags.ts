/**
 * Tags of a cache: what `cache tags` lists, and the `latest` tag a push without an explicit
 * tag moves, so that `cache list REF` and `cache pull REF` find the set just pushed.
 */
import { ReproSourcesError } from '../errors.js';
import type { BlobStore } from '../oci/store.js';

export const LATEST_TAG = 'latest';

/** Points `tag` at the manifest `digest` the store already holds (one GET, one PUT of the same bytes). */
export async function moveTag(store: BlobStore, digest: string, tag: string): Promise<void> {
  const m = await store.getManifest({ digest });
  if (!m) throw new ReproSourcesError('NOT_FOUND', `${store.name}@${digest}`, 'manifest not in the store', { exitCode: 1 });
  await store.putManifest(m.bytes, tag);
}

/** Every tag a repository or layout holds, sorted. */
export function listTags(store: BlobStore): Promise<string[]> {
  return store.listTags();
}
