/** probe over sources files: what the files hold (or would after rewrite) is what gets probed. */
import { UsageError } from '../errors.js';
import { planRewrites, readSourcesFile, readSourcesFiles } from '../rewrite/files.js';
import { createAgent } from '../net/agent.js';
import { probe, type ProbeOptions, type ProbeReport } from './probe.js';

export interface ProbeFilesOptions {
  files: readonly string[];
  root: string;
  id: string;
  keepIds: boolean;
  bases: readonly string[];
  maxStalenessSec: number;
  timeoutMs: number;
  retries: number;
  maxWaitMs: number;
  concurrency: number;
  signal?: AbortSignal;
  onRetry?: ProbeOptions['onRetry'];
}

export async function probeFiles(o: ProbeFilesOptions): Promise<ProbeReport> {
  const files = o.files.length > 0 ? await Promise.all(o.files.map(readSourcesFile)) : await readSourcesFiles(o.root);
  const plan = planRewrites(files, { id: o.id, keepIds: o.keepIds, ...(o.bases[0] ? { snapshotBase: o.bases[0] } : {}) });
  const targets = plan.flatMap((r) => r.result.targets);
  if (targets.length === 0) throw new UsageError(o.files.join(' ') || o.root, 'no Debian or Ubuntu entries to probe');
  const dispatcher = createAgent({ connectTimeoutMs: o.timeoutMs, headersTimeoutMs: o.timeoutMs, bodyTimeoutMs: o.timeoutMs });
  try {
    return await probe(targets, {
      ...(o.bases.length > 1 ? { bases: o.bases } : {}),
      concurrency: o.concurrency,
      maxStalenessSec: o.maxStalenessSec,
      retries: o.retries,
      maxWaitMs: o.maxWaitMs,
      requestTimeoutMs: o.timeoutMs * (o.retries + 1) + o.maxWaitMs * o.retries,
      dispatcher,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onRetry ? { onRetry: o.onRetry } : {}),
    });
  } finally {
    await dispatcher.close();
  }
}
