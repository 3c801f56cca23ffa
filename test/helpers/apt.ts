/**
 * Real apt as the judge: runs this machine's apt-get with an isolated state and returns what
 * it would fetch. Nothing of the host's apt state is read or written.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIsolatedApt, parsePrintUris, type IsolatedApt } from '../../src/apt/isolated-apt.js';

export interface PrintUrisOptions {
  /** Native architecture, default amd64. */
  arch?: string;
  /** Extra foreign architectures. */
  architectures?: string[];
  /** Extra apt.conf lines. */
  config?: string;
}

/**
 * `apt-get update --print-uris` over the given sources files (name -> content; "sources.list"
 * goes to Dir::Etc::SourceList, anything else into the parts directory). Throws with apt's
 * stderr when apt rejects the files.
 */
export async function aptPrintUris(files: Record<string, string | Uint8Array>, opts: PrintUrisOptions = {}): Promise<string[]> {
  return withIsolatedApt(async (apt) => {
    const r = await apt.run(['update', '--print-uris']);
    if (r.code !== 0 || /^E:/m.test(r.stderr)) throw new Error(`apt-get update --print-uris failed (${r.code}):\n${r.stderr}`);
    return parsePrintUris(r.stdout);
  }, { ...opts, sources: files });
}

/** Runs fn with a fresh isolated apt in a temp dir, removed afterwards. */
export async function withIsolatedApt<T>(
  fn: (apt: IsolatedApt) => Promise<T>,
  opts: PrintUrisOptions & { sources?: Record<string, string | Uint8Array> } = {},
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'rs-apt-'));
  try {
    const apt = await createIsolatedApt({
      dir,
      ...(opts.arch ? { arch: opts.arch } : {}),
      ...(opts.architectures ? { foreignArchitectures: opts.architectures } : {}),
      ...(opts.sources ? { sources: opts.sources } : {}),
      ...(opts.config ? { config: opts.config } : {}),
    });
    return await fn(apt);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
