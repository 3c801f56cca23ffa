/** Real, small .deb files built with dpkg-deb, named the way apt's cache names them. */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DebSpec {
  name: string;
  version: string;
  arch?: string;
  depends?: string;
  /** Bytes of incompressible payload, to make the file this big-ish. */
  payload?: number;
}

export function cacheName(d: DebSpec): string {
  return `${d.name}_${d.version.replace(/:/g, '%3a')}_${d.arch ?? 'amd64'}.deb`;
}

/** The name a Debian pool gives a package file: no epoch (dpkg-name's convention). */
export function poolName(d: DebSpec): string {
  return `${d.name}_${d.version.replace(/^\d+:/, '')}_${d.arch ?? 'amd64'}.deb`;
}

/** Builds each .deb into outDir (named as apt's cache names them, or as a pool does); returns the paths. */
export async function buildDebs(outDir: string, specs: readonly DebSpec[], opts: { pool?: boolean } = {}): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const out: string[] = [];
  for (const d of specs) {
    const work = await mkdtemp(join(tmpdir(), 'rs-deb-'));
    await mkdir(join(work, 'DEBIAN'));
    await mkdir(join(work, 'usr/share', d.name), { recursive: true });
    await writeFile(
      join(work, 'DEBIAN/control'),
      [`Package: ${d.name}`, `Version: ${d.version}`, `Architecture: ${d.arch ?? 'amd64'}`, 'Maintainer: repro-sources tests <tests@example.invalid>', ...(d.depends ? [`Depends: ${d.depends}`] : []), `Description: test package ${d.name}`, ''].join('\n'),
    );
    await writeFile(join(work, 'usr/share', d.name, 'payload'), d.payload ? randomBytes(d.payload) : `${d.name} ${d.version}\n`);
    const file = join(outDir, opts.pool ? poolName(d) : cacheName(d));
    execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '-z1', '--build', work, file], { stdio: 'ignore' });
    await rm(work, { recursive: true, force: true });
    out.push(file);
  }
  return out;
}
