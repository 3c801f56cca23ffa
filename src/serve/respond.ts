/**
 * Answers to apt: plain statuses, and objects with Range/If-Range (apt resumes partial
 * downloads that way). A kept object is checked while it streams out: the last chunk is held
 * back until the whole object hashed right, so a client never receives a whole wrong body;
 * on a mismatch the connection is cut and the caller told.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';

export function send(res: ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The byte range asked for ([first, last], inclusive), 'unsatisfiable', or undefined for the whole object. */
export function requestedRange(req: IncomingMessage, size: number, etag: string | undefined): [number, number] | 'unsatisfiable' | undefined {
  const header = req.headers.range;
  if (!header) return undefined;
  const ifRange = req.headers['if-range'] as string | undefined;
  // an entity tag must be ours; a date is always current: nothing under a snapshot id changes
  if (ifRange && ifRange.startsWith('"') && ifRange !== etag) return undefined;
  if (ifRange?.startsWith('W/')) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (first >= size || last < first) return 'unsatisfiable';
  return [first, last];
}

/** mismatch: the bytes were not the object's; failed: its source broke off. */
export type StreamOutcome = 'sent' | 'client-gone' | 'mismatch' | 'failed';

/**
 * 200 with the object, or 206 with the range asked for; HEAD gets the headers. With `verify`,
 * the whole object is hashed (a range too) and must be `size` bytes with that sha256.
 */
export async function streamOut(req: IncomingMessage, res: ServerResponse, size: number, body: Readable, o: { sha256?: string | undefined; onBytes?: (n: number) => void } = {}): Promise<StreamOutcome> {
  const etag = o.sha256 ? `"${o.sha256}"` : undefined;
  const range = requestedRange(req, size, etag);
  if (range === 'unsatisfiable') {
    body.destroy();
    res.writeHead(416, { 'content-range': `bytes */${size}` });
    res.end();
    return 'sent';
  }
  const [first, last] = range ?? [0, size - 1];
  res.writeHead(range ? 206 : 200, {
    'content-type': 'application/octet-stream',
    'content-length': String(Math.max(0, last - first + 1)),
    'accept-ranges': 'bytes',
    ...(etag ? { etag } : {}),
    ...(range ? { 'content-range': `bytes ${first}-${last}/${size}` } : {}),
  });
  if (req.method === 'HEAD') {
    body.destroy();
    res.end();
    return 'sent';
  }
  const hash = o.sha256 ? createHash('sha256') : undefined;
  let pos = 0;
  let held: Buffer | undefined;
  let gone = false;
  const onClose = (): void => {
    gone = true;
  };
  res.once('close', onClose);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash?.update(chunk);
      const from = Math.max(first - pos, 0);
      const to = Math.min(last + 1 - pos, chunk.length);
      pos += chunk.length;
      if (pos > size) break;
      if (from < to) {
        if (held) await write(res, held, o.onBytes);
        held = chunk.subarray(from, to);
      }
      if (gone) {
        body.destroy();
        return 'client-gone';
      }
      // without a check there is nothing to wait for once the range is out
      if (!hash && pos > last) break;
    }
  } catch {
    if (gone) return 'client-gone';
    res.destroy();
    return 'failed';
  } finally {
    res.off('close', onClose);
  }
  if (hash && (pos !== size || hash.digest('hex') !== o.sha256)) {
    body.destroy();
    res.destroy();
    return 'mismatch';
  }
  if (!hash) body.destroy();
  if (held) o.onBytes?.(held.length);
  res.end(held);
  return gone ? 'client-gone' : 'sent';
}

function write(res: ServerResponse, chunk: Buffer, onBytes?: (n: number) => void): Promise<void> {
  onBytes?.(chunk.length);
  if (res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
