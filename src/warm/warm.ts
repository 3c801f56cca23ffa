/**
 * warm: resolve and download a package set with this machine's apt in an isolated state, from
 * sources pinned to a snapshot, then push the .debs to a cache: "warm a deb cache for tomorrow's
 * builds" in one step for CI. Needs apt-get on the host; says so when it is missing.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { createIsolatedApt, findApt } from '../apt/isolated-apt.js';
import { planRewrites, readSourcesFiles } from '../rewrite/files.js';
import { generateSources } from '../generate/generate.js';
import { loadTemplate } from '../generate/templates.js';
import { textToBytes } from '../sources/text.js';
import { pushDebs, type PushResult, type TransferProgress } from '../cache/push.js';
import type { BlobStore } from '../oci/store.js';
import type { Distro } from '../snapshot/archives.js';

export interface WarmOptions {
  packages: readonly string[];
  /** Take the sources of this root (pinned on the way); or generate them for distro + codename. */
  root?: string | undefined;
  distro?: Distro | undefined;
  codename?: string | undefined;
  id: string;
  epoch: number;
  arch?: string | undefined;
  snapshotBase?: string | undefined;
  store: BlobStore;
  tag?: string | undefined;
  onStage?: (stage: 'update' | 'download' | 'push') => void;
  onProgress?: (p: TransferProgress) => void;
}

export interface WarmResult extends PushResult {
  packages: string[];
}

export async function warm(o: WarmOptions): Promise<WarmResult> {
  if (o.packages.length === 0) throw new UsageError('PKG', 'name at least one package');
  await findApt('apt-get');
  let sources: Record<string, Uint8Array>;
  let distro = o.distro;
  let codename = o.codename;
  if (o.root !== undefined) {
    const plan = planRewrites(await readSourcesFiles(o.root), { id: o.id, ...(o.snapshotBase ? { snapshotBase: o.snapshotBase } : {}) });
    sources = Object.fromEntries(plan.map((r, i) => [r.path.endsWith('.sources') ? `${i}.sources` : `${i}.list`, r.after]));
    const { readDistro } = await import('../rewrite/drop-in.js');
    const os = await readDistro(o.root);
    distro ??= os.distro;
    codename ??= os.codename;
  } else {
    if (!o.distro || !o.codename) throw new UsageError('--distro --codename', 'give --root DIR, or --distro and --codename');
    const text = generateSources(
      { distro: o.distro, codename: o.codename, epoch: o.epoch, ...(o.arch ? { architectures: [o.arch] } : {}), ...(o.snapshotBase ? { snapshotBase: o.snapshotBase } : {}) },
      await loadTemplate('sources/deb822.sources'),
    );
    sources = { 'generated.sources': textToBytes(text) };
  }
  const dir = await mkdtemp(join(tmpdir(), 'repro-sources-warm-'));
  try {
    const apt = await createIsolatedApt({ dir, sources, ...(o.arch ? { arch: o.arch } : {}) });
    o.onStage?.('update');
    await apt.check(['update']);
    o.onStage?.('download');
    await apt.check(['install', '--download-only', '--no-install-recommends', '-y', ...o.packages]);
    o.onStage?.('push');
    const r = await pushDebs(apt.archivesDir, o.store, {
      tag: o.tag,
      distro,
      codename,
      snapshot: o.id,
      architecture: o.arch ?? 'amd64',
      created: o.epoch,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
    return { ...r, packages: [...o.packages] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
