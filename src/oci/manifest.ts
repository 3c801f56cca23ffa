/**
 * The .deb set as an OCI image manifest (artifact): empty config, one layer per .deb, annotations
 * for file name, package, version and architecture. Deterministic: layers sorted, keys in a fixed
 * order, no clock; the same files and inputs give the same bytes and digest. Pure.
 */
import { createHash } from 'node:crypto';
import { ReproSourcesError } from '../errors.js';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';
export const DEB_MEDIA_TYPE = 'application/vnd.debian.binary-package';
export const ARTIFACT_TYPE = 'application/vnd.repro-sources.deb-set.v1';
export const EMPTY_CONFIG = { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 } as const;
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');
export const NS = 'io.github.repro-sources';

export interface DebLayer {
  /** The file name in the apt cache (org.opencontainers.image.title). */
  title: string;
  digest: string;
  size: number;
  package: string;
  version: string;
  architecture: string;
}

export interface SetInfo {
  distro?: string | undefined;
  codename?: string | undefined;
  snapshot?: string | undefined;
  architecture?: string | undefined;
  /** SOURCE_DATE_EPOCH: org.opencontainers.image.created. */
  created?: number | undefined;
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function buildManifest(layers: readonly DebLayer[], info: SetInfo): Buffer {
  const sorted = [...layers].sort((a, b) => cmp(a.package, b.package) || cmp(a.architecture, b.architecture) || cmp(a.version, b.version) || cmp(a.digest, b.digest));
  const annotations: Record<string, string> = {};
  if (info.created !== undefined) annotations['org.opencontainers.image.created'] = new Date(info.created * 1000).toISOString().replace('.000Z', 'Z');
  for (const k of ['distro', 'codename', 'snapshot', 'architecture'] as const) if (info[k] !== undefined) annotations[`${NS}.${k}`] = info[k]!;
  const manifest = {
    schemaVersion: 2,
    mediaType: MANIFEST_MEDIA_TYPE,
    artifactType: ARTIFACT_TYPE,
    config: EMPTY_CONFIG,
    layers: sorted.map((l) => ({
      mediaType: DEB_MEDIA_TYPE,
      digest: l.digest,
      size: l.size,
      annotations: {
        'org.opencontainers.image.title': l.title,
        [`${NS}.package`]: l.package,
        [`${NS}.version`]: l.version,
        [`${NS}.architecture`]: l.architecture,
      },
    })),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  return Buffer.from(JSON.stringify(manifest));
}

export interface ParsedManifest {
  layers: DebLayer[];
  annotations: Record<string, string>;
}

/** Reads a manifest this tool (or one like it) wrote; layers that are not .debs are refused. */
export function parseManifest(bytes: Uint8Array, where: string): ParsedManifest {
  let m: { mediaType?: string; layers?: unknown; annotations?: Record<string, string> };
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ReproSourcesError('REGISTRY', where, 'the manifest is not JSON');
  }
  if (m.mediaType !== undefined && m.mediaType !== MANIFEST_MEDIA_TYPE) throw new ReproSourcesError('REGISTRY', where, `not an image manifest (${m.mediaType})`);
  if (!Array.isArray(m.layers)) throw new ReproSourcesError('REGISTRY', where, 'the manifest has no layers');
  const layers = (m.layers as { mediaType?: string; digest?: string; size?: number; annotations?: Record<string, string> }[]).map((l, i): DebLayer => {
    const a = l.annotations ?? {};
    if (typeof l.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(l.digest) || typeof l.size !== 'number' || l.size < 0) {
      throw new ReproSourcesError('REGISTRY', where, `layer ${i} has no valid sha256 digest and size`);
    }
    const title = a['org.opencontainers.image.title'];
    if (typeof title !== 'string') throw new ReproSourcesError('REGISTRY', where, `layer ${i} has no file name (org.opencontainers.image.title)`);
    return { title, digest: l.digest, size: l.size, package: a[`${NS}.package`] ?? '', version: a[`${NS}.version`] ?? '', architecture: a[`${NS}.architecture`] ?? '' };
  });
  return { layers, annotations: m.annotations ?? {} };
}

/** The default tag: distro, codename, snapshot and architecture, in the tag grammar. */
export function defaultTag(info: SetInfo): string {
  const parts = [info.distro ?? 'deb', info.codename, info.snapshot, info.architecture].filter((p): p is string => Boolean(p));
  return parts.join('-').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
