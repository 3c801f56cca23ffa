/** probe's table for people and its JSON document for machines. */
import { formatDuration, type ProbeReport } from '../probe/probe.js';
import { jsonDocument } from './json.js';
import type { CliIo } from './io.js';

export function renderProbe(report: ProbeReport, io: CliIo, opts: { json: boolean }): void {
  if (opts.json) {
    io.stdout.write(jsonDocument({ ok: report.ok, elapsedMs: report.elapsedMs, chosenBases: report.chosenBases, entries: report.entries }));
    return;
  }
  const rows = [['', 'ARCHIVE', 'SUITE', 'SNAPSHOT', 'STALE', 'HTTP', 'TRIES', 'MS', 'PROBLEMS']];
  for (const e of report.entries) {
    rows.push([
      e.ok ? 'ok' : 'FAIL',
      e.archive,
      e.suite,
      e.idReached ?? '-',
      e.stalenessSec === undefined ? '-' : formatDuration(e.stalenessSec),
      e.status === undefined ? '-' : String(e.status),
      String(e.attempts),
      String(e.latencyMs),
      e.problems.join('; '),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) io.stdout.write(`${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()}\n`);
  const bad = report.entries.filter((e) => !e.ok).length;
  io.stderr.write(`repro-sources: probe: ${report.entries.length - bad} of ${report.entries.length} available in ${report.elapsedMs} ms\n`);
}
