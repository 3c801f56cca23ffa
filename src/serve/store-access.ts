/**
 * serve's view of the OCI store: blobs by digest, and small named files (Releases, the
 * time-to-id timeline) as one-layer manifests under a tag. A store that fails is counted in
 * /metrics and treated as empty: serve then answers from upstream.
 */
import { Readable } from 'node:stream';
import { EMPTY_CONFIG, EMPTY_CONFIG_BYTES, MANIFEST_MEDIA_TYPE, parseManifest, sha256Digest } from '../oci/manifest.js';
import type { BlobStore } from '../oci/store.js';
import type { Lease } from './fetch.js';
import type { Metrics } from './metrics.js';

const ANNOTATION_PATH = 'io.github.repro-sources.path';

export class CacheStore {
  private readonly store: BlobStore | undefined;
  private readonly metrics: Metrics;
  private readonly log: (line: string) => void;
  private configStored = false;

  constructor(store: BlobStore | undefined, metrics: Metrics, log: (line: string) => void) {
    this.store = store;
    this.metrics = metrics;
    this.log = log;
  }

  get enabled(): boolean {
    return this.store !== undefined;
  }

  /** The stored bytes of a blob, unverified (the caller checks them as they stream), or undefined. */
  async open(digest: string): Promise<Readable | undefined> {
    if (!this.store) return undefined;
    try {
      const s = await this.store.getBlob(digest);
      this.metrics.storeAvailable = true;
      return s;
    } catch (e) {
      if ((e as { code?: string }).code === 'NOT_FOUND') {
        this.metrics.storeAvailable = true;
        return undefined;
      }
      this.failed(e);
      return undefined;
    }
  }

  async keep(l: Lease, what: string): Promise<void> {
    if (!this.store) return;
    try {
      await this.store.putBlob(l.digest, l.size, { file: l.path });
      this.metrics.storeAvailable = true;
    } catch (e) {
      this.failed(e, `storing ${what}`);
    }
  }

  /** Drops a blob whose stored bytes are wrong, so that the next request fetches it again. */
  async forget(digest: string): Promise<void> {
    if (!this.store?.deleteBlob) return;
    try {
      await this.store.deleteBlob(digest);
    } catch (e) {
      this.failed(e, `forgetting ${digest}`);
    }
  }

  /** A named file's bytes, verified against the manifest's digest; undefined when not kept. */
  async getNamed(tag: string): Promise<{ bytes: Buffer; annotations: Record<string, string> } | undefined> {
    if (!this.store) return undefined;
    try {
      const m = await this.store.getManifest({ tag });
      if (!m) return undefined;
      const parsed = parseManifest(m.bytes, tag);
      const layer = parsed.layers[0];
      if (!layer) return { bytes: Buffer.alloc(0), annotations: parsed.annotations };
      const chunks: Buffer[] = [];
      for await (const c of await this.store.getBlob(layer.digest)) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      this.metrics.storeAvailable = true;
      if (sha256Digest(bytes) !== layer.digest) {
        this.metrics.integrityFailures++;
        await this.forget(layer.digest);
        return undefined;
      }
      return { bytes, annotations: parsed.annotations };
    } catch (e) {
      this.failed(e);
      return undefined;
    }
  }

  /** Keeps bytes (or only annotations) under a tag. */
  async putNamed(tag: string, artifactType: string, file: { bytes: Buffer; title: string; path: string } | undefined, annotations: Record<string, string> = {}): Promise<void> {
    if (!this.store) return;
    try {
      if (!this.configStored && (await this.store.statBlob(EMPTY_CONFIG.digest)) === undefined) await this.store.putBlob(EMPTY_CONFIG.digest, 2, () => Readable.from([EMPTY_CONFIG_BYTES]));
      this.configStored = true;
      const layers = [];
      if (file) {
        const digest = sha256Digest(file.bytes);
        await this.store.putBlob(digest, file.bytes.length, () => Readable.from([file.bytes]));
        layers.push({ mediaType: 'application/octet-stream', digest, size: file.bytes.length, annotations: { 'org.opencontainers.image.title': file.title, [ANNOTATION_PATH]: file.path } });
      }
      const manifest = { schemaVersion: 2, mediaType: MANIFEST_MEDIA_TYPE, artifactType, config: EMPTY_CONFIG, layers, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
      await this.store.putManifest(Buffer.from(JSON.stringify(manifest)), tag);
    } catch (e) {
      this.failed(e, `storing ${tag}`);
    }
  }

  private failed(e: unknown, what?: string): void {
    this.metrics.storeErrors++;
    this.metrics.storeAvailable = false;
    if (what) this.log(`repro-sources: serve: ${what}: ${(e as Error).message}`);
  }
}

/** The tag a file of a snapshot is kept under (tags can't hold slashes or most characters). */
export function fileTag(prefix: 'r', archive: string, id: string, path: string): string {
  return `${prefix}-${sha256Digest(Buffer.from(`${archive}/${id}/${path}`)).slice(7, 67)}`;
}
