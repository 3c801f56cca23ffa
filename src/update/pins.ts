/**
 * The pins `bump` moves: `ARG SOURCE_DATE_EPOCH=N` and `ENV SOURCE_DATE_EPOCH=N` (or `ENV
 * SOURCE_DATE_EPOCH N`) in Dockerfiles, and snapshot ids in sources files as rewrite writes them.
 * Only the pin's characters change; every other byte stays. Pure.
 */

export interface DockerfilePin {
  line: number;
  /** offset of the number in the text */
  start: number;
  end: number;
  epoch: number;
  keyword: 'ARG' | 'ENV';
}

const PIN_RE = /^([ \t]*)(ARG|ENV)([ \t]+)SOURCE_DATE_EPOCH(=|[ \t]+)(\d+)\b/gim;

export function findDockerfilePins(text: string): DockerfilePin[] {
  const pins: DockerfilePin[] = [];
  for (const m of text.matchAll(PIN_RE)) {
    const start = m.index + m[0].length - m[5]!.length;
    pins.push({ line: text.slice(0, m.index).split('\n').length, start, end: start + m[5]!.length, epoch: Number(m[5]), keyword: m[2]!.toUpperCase() as 'ARG' | 'ENV' });
  }
  return pins;
}

export function bumpDockerfile(text: string, epoch: number): { text: string; pins: DockerfilePin[] } {
  const pins = findDockerfilePins(text);
  let out = text;
  for (const p of [...pins].sort((a, b) => b.start - a.start)) out = out.slice(0, p.start) + String(epoch) + out.slice(p.end);
  return { text: out, pins };
}

/** Dockerfile by name: Dockerfile, Dockerfile.x, x.Dockerfile, Containerfile. */
export function isDockerfileName(name: string): boolean {
  const base = name.split('/').at(-1)!;
  return /^(Dockerfile|Containerfile)(\..+)?$/.test(base) || /\.(Dockerfile|Containerfile)$/.test(base);
}
