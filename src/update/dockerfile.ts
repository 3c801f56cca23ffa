/**
 * What a Dockerfile says about the apt it runs, for `bump` without sources files: the Debian or
 * Ubuntu release its FROM lines name (through ARG defaults and stage names), and the packages
 * its `apt-get install` / `apt install` lines name. Pure: text in, facts out.
 */
import type { Distro } from '../snapshot/archives.js';
import { DEBIAN_RELEASE_CODENAMES, DEBIAN_VERSIONS, UBUNTU_RELEASE_CODENAMES, UBUNTU_RETIRED_BEFORE_SNAPSHOTS, UBUNTU_VERSIONS } from '../snapshot/releases.js';

export interface BaseRelease {
  distro: Distro;
  codename: string;
}

export interface DockerfileStage {
  /** 1-based line of the FROM. */
  line: number;
  /** The image as written, ARGs expanded. */
  image: string;
  name: string | undefined;
  /** The release the image is built on, when its name and tag say so. */
  release: BaseRelease | undefined;
}

interface Instruction {
  line: number;
  keyword: string;
  args: string;
}

/** Logical instructions: comments dropped, backslash continuations joined, CRLF read as LF. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    if (/^\s*(#|$)/.test(first)) continue;
    const start = i;
    let joined = first;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      // comment lines inside a continued instruction are dropped, as BuildKit does
      while (i + 1 < lines.length && /^\s*#/.test(lines[i + 1]!)) i++;
      if (i + 1 < lines.length) joined += lines[++i]!;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(joined);
    if (m) out.push({ line: start + 1, keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

const unquote = (s: string): string => s.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');

/** ${NAME}, ${NAME:-default}, $NAME from the ARG defaults known so far. */
function expand(s: string, args: ReadonlyMap<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, braced: string | undefined, dflt: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const v = args.get(name);
    return v !== undefined && v !== '' ? v : (dflt ?? '');
  });
}

/** Every FROM, in order, with the release each stage is built on (a stage FROM another stage inherits its release). */
export function dockerfileStages(text: string): DockerfileStage[] {
  const args = new Map<string, string>();
  const stages: DockerfileStage[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      // only ARGs before the first FROM can be used in FROM lines
      for (const decl of ins.args.split(/\s+/)) {
        const eq = decl.indexOf('=');
        if (eq > 0) args.set(decl.slice(0, eq), unquote(decl.slice(eq + 1)));
      }
    } else if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = expand(words[0] ?? '', args);
      const as = words.findIndex((w) => w.toLowerCase() === 'as');
      const name = as > 0 ? words[as + 1]?.toLowerCase() : undefined;
      const parent = stages.find((s) => s.name !== undefined && s.name === image.toLowerCase());
      stages.push({ line: ins.line, image, name, release: parent ? parent.release : imageRelease(image) });
    }
  }
  return stages;
}

/** The release of the last stage that names one (the final image, or the build stage of a distroless one). */
export function dockerfileRelease(text: string): BaseRelease | undefined {
  return dockerfileStages(text).filter((s) => s.release).at(-1)?.release;
}

const DEBIAN_NAMES = new Set(DEBIAN_RELEASE_CODENAMES);
const UBUNTU_NAMES = new Set([...UBUNTU_RELEASE_CODENAMES, ...UBUNTU_RETIRED_BEFORE_SNAPSHOTS]);

/**
 * debian:bookworm, debian:12, debian:12.5, debian:bookworm-slim, debian:bookworm-20240110,
 * ubuntu:24.04, ubuntu:noble-20240110, and any image whose tag has a release word
 * (python:3.12-slim-bookworm, node:22-bookworm-slim, buildpack-deps:bookworm, eclipse-temurin:21-jammy).
 * Moving tags (latest, stable, rolling) and images without a release word say nothing.
 */
export function imageRelease(image: string): BaseRelease | undefined {
  const noDigest = image.replace(/@sha256:[0-9a-f]+$/i, '');
  const lastPart = noDigest.split('/').at(-1) ?? '';
  const colon = lastPart.indexOf(':');
  const name = (colon >= 0 ? lastPart.slice(0, colon) : lastPart).toLowerCase();
  const tag = colon >= 0 ? lastPart.slice(colon + 1).toLowerCase() : '';
  if (tag === '') return undefined;
  const words = tag.split(/[-_]/);
  if (name === 'debian') {
    const version = /^(\d+)(\.\d+)*$/.exec(words[0]!)?.[1];
    if (version !== undefined) return DEBIAN_VERSIONS[version] ? { distro: 'debian', codename: DEBIAN_VERSIONS[version] } : undefined;
  }
  if (name === 'ubuntu') {
    const version = /^(\d+\.\d+)(\.\d+)?$/.exec(words[0]!)?.[1];
    if (version !== undefined) return UBUNTU_VERSIONS[version] ? { distro: 'ubuntu', codename: UBUNTU_VERSIONS[version] } : undefined;
  }
  for (const w of words) {
    if (DEBIAN_NAMES.has(w)) return { distro: 'debian', codename: w };
    if (UBUNTU_NAMES.has(w)) return { distro: 'ubuntu', codename: w };
  }
  return undefined;
}

/** Options of apt-get and apt that take the next word as their value. */
const VALUE_OPTIONS = new Set(['-o', '-c', '-t', '--option', '--config-file', '--target-release', '--default-release']);

/**
 * The packages `apt-get install` and `apt install` lines name, in order, once each: versions
 * (=1.0) and releases (/bookworm-backports) dropped; variables, globs and .deb paths skipped.
 */
export function aptInstallPackages(text: string): string[] {
  const out = new Set<string>();
  for (const ins of instructions(text)) {
    if (ins.keyword !== 'RUN') continue;
    // RUN flags (--mount=..., --network=...) come first
    const command = ins.args.replace(/^(--\S+\s+)*/, '');
    for (const segment of command.split(/&&|\|\||[;|()\n]/)) {
      const words = segment.trim().split(/\s+/).filter(Boolean);
      // the command word: after VAR=value assignments and sudo/env/exec only (not an argument of echo)
      let tool = 0;
      while (tool < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[tool]!) || ['sudo', 'env', 'exec', 'command'].includes(words[tool]!))) tool++;
      if (tool >= words.length || !/(^|\/)(apt-get|apt)$/.test(words[tool]!)) continue;
      let i = tool + 1;
      let sub: string | undefined;
      const names: string[] = [];
      for (; i < words.length; i++) {
        const w = words[i]!;
        if (w.startsWith('-')) {
          if (VALUE_OPTIONS.has(w)) i++;
          continue;
        }
        if (sub === undefined) {
          sub = w;
          continue;
        }
        names.push(unquote(w));
      }
      if (sub !== 'install') continue;
      for (const n of names) {
        if (/[$*?[\]{}`'"\\]/.test(n) || n.includes('.deb') || n.startsWith('.') || n.startsWith('/') || n === '>' || n === '<') continue;
        const pkg = n.replace(/[=/].*$/, '');
        if (/^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$/.test(pkg)) out.add(pkg.replace(/:[a-z0-9-]+$/, ''));
      }
    }
  }
  return [...out];
}
