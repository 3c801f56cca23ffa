/**
 * What `rewrite --resolve` and `rewrite --probe` ask the network before writing: the exact
 * snapshot each archive has at the time (so every later build asks for the same immutable
 * URL), and which of several bases serves each archive well.
 */
import { ReproSourcesError } from '../errors.js';
import { planRewrites, readSourcesFile, readSourcesFiles } from '../rewrite/files.js';
import { createAgent } from '../net/agent.js';
import { probe } from './probe.js';
import { resolveSnapshot } from './resolve.js';

export interface PinOptions {
  files: readonly string[];
  root: string;
  id: string;
  bases: readonly string[];
  resolve: boolean;
  probe: boolean;
}

export interface Pins {
  archiveIds: Record<string, string>;
  archiveBases: Record<string, string>;
}

export async function networkPins(o: PinOptions): Promise<Pins> {
  const files = o.files.length > 0 ? await Promise.all(o.files.map(readSourcesFile)) : await readSourcesFiles(o.root);
  const targets = planRewrites(files, { id: o.id, ...(o.bases[0] ? { snapshotBase: o.bases[0] } : {}) }).flatMap((r) => r.result.targets);
  const dispatcher = createAgent();
  const pins: Pins = { archiveIds: {}, archiveBases: {} };
  try {
    if (o.probe) {
      const report = await probe(targets, { ...(o.bases.length > 0 ? { bases: o.bases } : {}), dispatcher });
      const failed = [...new Set(targets.map((t) => t.archive))].filter((a) => !report.chosenBases[a]);
      if (failed.length > 0) {
        const e = report.entries.find((x) => failed.includes(x.archive) && !x.ok)!;
        throw new ReproSourcesError('HTTP', e.url, `no snapshot base serves ${failed.join(', ')} well: ${e.problems.join('; ')}`);
      }
      pins.archiveBases = report.chosenBases;
    }
    if (o.resolve) {
      for (const archive of new Set(targets.map((t) => t.archive))) {
        const base = pins.archiveBases[archive] ?? targets.find((t) => t.archive === archive)!.base;
        pins.archiveIds[archive] = (await resolveSnapshot({ base, archive, id: o.id, dispatcher })).id;
      }
    }
  } finally {
    await dispatcher.close();
  }
  return pins;
}
