/**
 * An OCI image layout on disk (image-spec image-layout.md): oci-layout, index.json and
 * blobs/sha256/<hex>. Blobs are written to a temp file beside their final name while hashed,
 * and renamed only when the digest matches; index.json is replaced atomically, the entry with
 * the same org.opencontainers.image.ref.name replaced, as skopeo does. Several processes may
 * write one layout: index.json changes under a lock file (index.json.lock, created O_EXCL,
 * holding the writer's pid; a dead writer's lock is broken), and temp files carry their
 * writer's pid so that opening a layout removes dead writers' leftovers.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError, ReproSourcesError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { hashFile, readFileInto } from '../fs/file-chunks.js';
import { besidePattern, processAlive, removeDeadLeftovers, tempNameBeside } from '../fs/process-temp.js';
import { INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, sha256Digest } from './manifest.js';
import { openBody, type BlobBody, type BlobStore } from './store.js';

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const REF_NAME = 'org.opencontainers.image.ref.name';
const LOCK_WAIT_MS = 60_000;

export class LayoutStore implements BlobStore {
  readonly name: string;
  private readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.name = `oci-layout:${dir}`;
  }

  static async open(dir: string): Promise<LayoutStore> {
    await removeDeadLeftovers(join(dir, 'blobs', 'sha256'), besidePattern('tmp'));
    await removeDeadLeftovers(dir, besidePattern('tmp'));
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

  async putBlob(digest: string, size: number, body: BlobBody): Promise<void> {
    await this.ensure();
    const final = this.blobPath(digest);
    const tmp = tempNameBeside(final, 'tmp');
    const hash = createHash('sha256');
    let n = 0;
    try {
      const src = openBody(body);
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

  async verifyBlob(digest: string, size: number): Promise<boolean> {
    if ((await this.statBlob(digest)) !== size) return false;
    try {
      return hashFile(this.blobPath(digest)).digest === digest;
    } catch {
      return false;
    }
  }

  async deleteBlob(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
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
    if (!(await this.verifyBlob(digest, bytes.length))) await writeFileAtomic(this.blobPath(digest), bytes);
    await this.withIndexLock(async () => {
      const index = await this.index();
      const entry: IndexEntry = { mediaType: MANIFEST_MEDIA_TYPE, digest, size: bytes.length, ...(tag ? { annotations: { [REF_NAME]: tag } } : {}) };
      index.manifests = index.manifests.filter((m) => (tag ? m.annotations?.[REF_NAME] !== tag : m.digest !== digest));
      index.manifests.push(entry);
      await writeFileAtomic(join(this.dir, 'index.json'), JSON.stringify(index));
    });
    return digest;
  }

  /** Runs fn holding index.json.lock: read, change and rename of index.json by one writer at a time. */
  private async withIndexLock<T>(fn: () => Promise<T>): Promise<T> {
    const lock = join(this.dir, 'index.json.lock');
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(lock, 'wx');
        await fh.writeFile(`${process.pid}\n`);
        await fh.close();
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      await this.breakStaleLock(lock);
      if (Date.now() - started > LOCK_WAIT_MS) throw new ReproSourcesError('INPUT', lock, `held by another writer for over ${LOCK_WAIT_MS / 1000} s; remove it if no cache command is running`, { exitCode: 1 });
      await new Promise((r) => setTimeout(r, Math.min(100, 5 * (attempt + 1)) * (0.5 + Math.random())));
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }

  /** A lock whose writer died (kill -9 mid-write) is removed; a live writer's never is, however old. */
  private async breakStaleLock(lock: string): Promise<void> {
    const text = await readFile(lock, 'utf8').catch(() => undefined);
    const st = await stat(lock).catch(() => undefined);
    if (text === undefined || !st) return;
    const pid = /^(\d+)\n$/.exec(text)?.[1];
    // an empty lock is one being written this instant, unless it has stayed empty for long
    const stale = pid !== undefined ? !processAlive(Number(pid)) : Date.now() - st.mtimeMs > 10_000;
    if (!stale) return;
    // move it aside first: of two processes breaking it, one rename wins, the other finds nothing
    const aside = `${lock}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`;
    if (await rename(lock, aside).then(() => true, () => false)) {
      const moved = await readFile(aside, 'utf8').catch(() => '');
      // a live writer's fresh lock moved by mistake goes back
      if (moved !== text) await link(aside, lock).catch(() => {});
      await rm(aside, { force: true });
    }
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

  async listTags(): Promise<string[]> {
    const index = await this.index();
    return [...new Set(index.manifests.map((m) => m.annotations?.[REF_NAME]).filter((t): t is string => t !== undefined))].sort();
  }

  async close(): Promise<void> {}
}
