/** How a rewrite run is shown: the file (--stdout), the diff (--dry-run), a JSON report, or a summary. */
import type { RewriteRun } from '../rewrite/run.js';
import { REPORT_KIND_INFO } from '../rewrite/rewrite.js';
import type { CliIo } from './io.js';
import { isUtf8 } from 'node:buffer';
import { UsageError } from '../errors.js';
import { jsonDocument } from './json.js';

export function renderRewrite(run: RewriteRun, io: CliIo, opts: { json: boolean }): void {
  if (opts.json) {
    // --stdout and --dry-run put what they would print into the document
    let printed: Record<string, string> = {};
    if (run.mode !== 'write' && run.output) {
      if (!isUtf8(run.output)) throw new UsageError('--json', `${run.files[0]?.path ?? 'the file'} is not UTF-8 text, which JSON can't carry byte for byte; use --stdout without --json`);
      printed = run.mode === 'stdout' ? { content: run.output.toString('utf8') } : { diff: run.output.toString('utf8') };
    }
    const doc = {
      mode: run.mode,
      id: run.id,
      epoch: run.epoch,
      dropIn: run.dropIn,
      files: run.files.map((f) => ({
        path: f.path,
        format: f.format,
        changed: f.changed,
        entries: f.entries.map((e) => ({
          kind: e.kind,
          line: e.line,
          type: e.type,
          uri: e.uri,
          suites: e.suites,
          ...(e.archive ? { archive: e.archive } : {}),
          ...(e.newUri && e.newUri !== e.uri ? { newUri: e.newUri } : {}),
          ...(e.reason ? { reason: e.reason } : {}),
          enabled: e.enabled,
        })),
      })),
      written: run.written,
      ...printed,
    };
    io.stdout.write(jsonDocument(doc));
    return;
  }
  if (run.output) {
    io.stdout.write(run.output);
  }
  // what was left alone is worth a line each: that is where builds stay unpinned
  for (const f of run.files) {
    for (const e of f.entries) {
      if (e.kind === 'foreign' || e.kind === 'unsupported') io.stderr.write(`repro-sources: ${f.path}:${e.line}: left as it is: ${e.uri} ${e.suites.join(' ')} (${e.reason ?? REPORT_KIND_INFO[e.kind]})\n`);
    }
  }
  if (run.output) return;
  const pinned = run.files.reduce((n, f) => n + f.entries.filter((e) => e.kind === 'pinned' || e.kind === 'repinned').length, 0);
  const changed = run.files.filter((f) => f.changed).length;
  io.stderr.write(`repro-sources: ${run.id}: pinned ${pinned} entr${pinned === 1 ? 'y' : 'ies'}, ${changed} file${changed === 1 ? '' : 's'} changed${run.written.length ? `, also wrote ${run.written.join(', ')}` : ''}\n`);
  if (run.dropIn) io.stdout.write(`SOURCE_DATE_EPOCH=${run.epoch}\n`);
}
