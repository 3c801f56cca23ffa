/**
 * The one place `fetch` of a lock talks HTTP: GET a URL, follow redirects (snapshot.debian.org
 * answers every file with a 302), hand the body to a synchronous sink. Kept to this one
 * function so the transport can change under it.
 */
import { Http1Client } from '../net/http1.js';
import { isRetryableStatus } from '../probe/retry-policy.js';
import { ReproSourcesError } from '../errors.js';

export interface Downloader {
  /** The body of url, chunk by chunk (a chunk is valid only during the call); resolves to the byte count. */
  get(url: string, sink: (chunk: Buffer) => void): Promise<number>;
  close(): void;
}

/** An HTTP status that is not the file, as an error the retry policy can judge. */
export class DownloadStatusError extends ReproSourcesError {
  override name = 'DownloadStatusError';
  readonly status: number;
  readonly retryable: boolean;
  constructor(url: string, status: number) {
    super(status === 404 ? 'NOT_FOUND' : 'HTTP', url, `HTTP ${status}`, { exitCode: 1 });
    this.status = status;
    this.retryable = isRetryableStatus(status);
  }
}

export function createDownloader(o: { maxRedirects?: number } = {}): Downloader {
  const client = new Http1Client();
  const max = o.maxRedirects ?? 10;
  return {
    async get(url, sink) {
      let current = url;
      for (let hops = 0; ; hops++) {
        const res = await client.request(current, { 'user-agent': 'repro-sources' });
        const location = res.headers.location;
        if (res.statusCode >= 300 && res.statusCode < 400 && location !== undefined) {
          await res.dump();
          if (hops >= max) throw new ReproSourcesError('HTTP', url, `more than ${max} redirects`);
          current = new URL(Array.isArray(location) ? location[0]! : location, current).toString();
          continue;
        }
        if (res.statusCode !== 200) {
          await res.dump().catch(() => {});
          throw new DownloadStatusError(current, res.statusCode);
        }
        return res.read(sink);
      }
    },
    close: () => client.close(),
  };
}
