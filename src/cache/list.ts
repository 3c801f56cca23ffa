/** cache list: the packages a stored set holds. */
import type { BlobStore } from '../oci/store.js';
import { readSet } from './pull.js';

export interface ListedPackage {
  package: string;
  version: string;
  architecture: string;
  file: string;
  digest: string;
  size: number;
}

export async function listDebs(store: BlobStore, ref: { tag?: string | undefined; digest?: string | undefined }): Promise<{ digest: string; annotations: Record<string, string>; packages: ListedPackage[] }> {
  const set = await readSet(store, ref);
  return {
    digest: set.digest,
    annotations: set.annotations,
    packages: set.layers.map((l) => ({ package: l.package, version: l.version, architecture: l.architecture, file: l.title, digest: l.digest, size: l.size })),
  };
}
