/**
 * One interface in front of where blobs and manifests live: a registry (registry.ts) or an OCI
 * image layout on disk (layout.ts). push, pull and list never know which.
 */
import { Readable } from 'node:stream';
import { fileChunks } from '../fs/file-chunks.js';
import { parseReference, type OciReference } from './reference.js';

/** What a blob is uploaded from: a local file (a registry sends it from reused buffers), or a stream made anew for each attempt. */
export type BlobBody = { file: string } | (() => Readable);

/** The body as a stream, for stores and transports that take one. */
export function openBody(body: BlobBody): Readable {
  return typeof body === 'function' ? body() : Readable.from(fileChunks(body.file, 1 << 20), { objectMode: false });
}

export interface BlobStore {
  /** For messages: the reference without tag or digest. */
  readonly name: string;
  /** The blob's size when the store has it. */
  statBlob(digest: string): Promise<number | undefined>;
  /**
   * Whether the store holds exactly these bytes. Where reading is cheap (a layout on disk) the
   * blob is hashed again, so a re-push repairs silent corruption; a registry answers by size.
   */
  verifyBlob?(digest: string, size: number): Promise<boolean>;
  /** Stores a blob; a body is read again from its start to retry. The store refuses bytes that don't match the digest. */
  putBlob(digest: string, size: number, body: BlobBody): Promise<void>;
  /** The blob's bytes, unverified: the caller hashes them while they stream. */
  getBlob(digest: string): Promise<Readable>;
  /**
   * The blob's bytes, unverified, handed to sink as they arrive; a chunk is valid only during the
   * call (stores reuse their buffers). Resolves to the byte count. The fast path of cache pull.
   */
  readBlob(digest: string, sink: (chunk: Buffer) => void): Promise<number>;
  /** Removes a blob whose stored bytes turned out wrong (a registry may refuse: deletion disabled). */
  deleteBlob?(digest: string): Promise<void>;
  /** Stores manifest bytes exactly as given, under the tag when one is given; returns the digest. */
  putManifest(bytes: Buffer, tag: string | undefined): Promise<string>;
  /** Every tag the repository or layout holds, sorted (none for a repository the registry doesn't know). */
  listTags(): Promise<string[]>;
  /** Manifest bytes by tag or digest (verified against the digest when one is given); undefined when unknown. */
  getManifest(ref: { tag?: string; digest?: string }): Promise<{ bytes: Buffer; digest: string } | undefined>;
  close(): Promise<void>;
}

export interface StoreOptions {
  username?: string | undefined;
  password?: string | undefined;
  /** Environment for credential lookup (DOCKER_CONFIG, HOME). */
  env?: Readonly<Record<string, string | undefined>>;
  retries?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Opens a store: `oci://HOST[:PORT]/REPO` or `oci-layout:DIR` as a string (parsed here; bad ones
 * throw a UsageError) or as a parsed reference.
 */
export async function openStore(reference: OciReference | string, options: StoreOptions = {}): Promise<BlobStore> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  if (ref.kind === 'layout') {
    const { LayoutStore } = await import('./layout.js');
    return LayoutStore.open(ref.dir);
  }
  const { RegistryStore } = await import('./registry.js');
  return RegistryStore.open(ref, options);
}
