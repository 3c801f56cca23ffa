/** The `snapshot --json` document. Pure. */
import { archiveInfo, DISTRO_ARCHIVES, snapshotUrl, type Distro } from './archives.js';
import { toIso, toSnapshotId } from './id.js';

export interface SnapshotDocument {
  epoch: number;
  id: string;
  iso: string;
  distro: Distro;
  /** archive name -> the archive's snapshot URL at this id. */
  urls: Record<string, string>;
}

export function snapshotDocument(epoch: number, opts: { distro: Distro; base?: string | undefined }): SnapshotDocument {
  const id = toSnapshotId(epoch);
  const urls: Record<string, string> = {};
  for (const name of DISTRO_ARCHIVES[opts.distro]) {
    urls[name] = snapshotUrl(opts.base ?? archiveInfo(name)!.defaultBase, name, id);
  }
  return { epoch, id, iso: toIso(epoch), distro: opts.distro, urls };
}
