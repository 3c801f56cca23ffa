/**
 * An OCI image layout on disk (image-spec image-layout.md): oci-layout, index.json and
 * blobs/sha256/<hex>. Blobs are written to a temp file beside their final name while hashed,
 * and renamed only when the digest matches; index.json is replaced atomically, the entry with
 * the same org.opencontainers.image.ref.name replaced, as skopeo does.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError, ReproSourcesError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { readFileInto } from '../fs/file-chunks.js';
import { INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, sha256Digest } from './manifest.js';
import type { BlobStore } from './store.js';

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const REF_NAME = 'org.opencontainers.image.ref.name';

export class LayoutStore implements BlobStore {
  readonly name: string;
  private readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.name = `oci-layout:${dir}`;
  }

  static async open(dir: string): Promise<LayoutStore> {
    return new LayoutStore(dir);
  }

  private blobPath(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  private async ensure(): Promise<void> {
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    const marker = join(this.dir, 'oci-layout');
    if (!(await stat(marker).catch(() => undefined))) await writeFileAtomic(marker, '{"imageLayoutVersion":"1.0.0"}');
  }

  async statBlob(digest: string): Promise<number | undefined> {
    return (await stat(this.blobPath(digest)).catch(() => undefined))?.size;
  }

  async putBlob(digest: string, size: number, open: () => Readable): Promise<void> {
    await this.ensure();
    const final = this.blobPath(digest);
    const tmp = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const hash = createHash('sha256');
    let n = 0;
    try {
      const src = open();
      src.on('data', (c: Buffer) => {
        hash.update(c);
        n += c.length;
      });
      await pipeline(src, createWriteStream(tmp));
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest || n !== size) throw new IntegrityError(`${this.name} blob`, `${digest} (${size} bytes)`, `${actual} (${n} bytes)`);
      await rename(tmp, final);
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async getBlob(digest: string): Promise<Readable> {
    return createReadStream(await this.existing(digest));
  }

  async readBlob(digest: string, sink: (chunk: Buffer) => void): Promise<number> {
    return readFileInto(await this.existing(digest), sink);
  }

  private async existing(digest: string): Promise<string> {
    const p = this.blobPath(digest);
    if (!(await stat(p).catch(() => undefined))) throw new ReproSourcesError('NOT_FOUND', `${this.name}@${digest}`, 'blob not in the layout', { exitCode: 1 });
    return p;
  }

  private async index(): Promise<{ schemaVersion: number; mediaType?: string; manifests: IndexEntry[] }> {
    const text = await readFile(join(this.dir, 'index.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPE, manifests: [] };
    try {
      return JSON.parse(text);
    } catch {
      throw new ReproSourcesError('INPUT', join(this.dir, 'index.json'), 'not JSON', { exitCode: 2 });
    }
  }

  async putManifest(bytes: Buffer, tag: string | undefined): Promise<string> {
    const digest = sha256Digest(bytes);
    await this.ensure();
    if ((await this.statBlob(digest)) !== bytes.length) await writeFileAtomic(this.blobPath(digest), bytes);
    const index = await this.index();
    const entry: IndexEntry = { mediaType: MANIFEST_MEDIA_TYPE, digest, size: bytes.length, ...(tag ? { annotations: { [REF_NAME]: tag } } : {}) };
    index.manifests = index.manifests.filter((m) => (tag ? m.annotations?.[REF_NAME] !== tag : m.digest !== digest));
    index.manifests.push(entry);
    await writeFileAtomic(join(this.dir, 'index.json'), JSON.stringify(index));
    return digest;
  }

  async getManifest(ref: { tag?: string; digest?: string }): Promise<{ bytes: Buffer; digest: string } | undefined> {
    let digest = ref.digest;
    if (!digest) {
      const index = await this.index();
      const entry = index.manifests.filter((m) => m.annotations?.[REF_NAME] === (ref.tag ?? 'latest')).at(-1);
      if (!entry) return undefined;
      digest = entry.digest;
    }
    const bytes = await readFile(this.blobPath(digest)).catch(() => undefined);
    if (!bytes) return undefined;
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new IntegrityError(`${this.name} manifest`, digest, actual);
    return { bytes, digest };
  }

  async close(): Promise<void> {}
}
