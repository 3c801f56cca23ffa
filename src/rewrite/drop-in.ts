/**
 * Everything repro-sources-list.sh does besides rewriting, for the no-FILE drop-in mode:
 * its environment variables with its defaults, the apt cache settings, and (instead of its
 * Verify-Peer=false) a CA bundle for HTTPS snapshot servers. Edge: reads and writes ROOT.
 */
import { readFile, stat } from 'node:fs/promises';
import { distroOf, parseOsRelease, type DistroRelease } from '../apt/os-release.js';
import { CA_BUNDLE_PATH, CA_CONF_PATH, caBundlePem, caConf, SYSTEM_CA_BUNDLE } from '../apt/ca-bundle.js';
import { inRoot } from '../fs/root.js';
import { putRootFile } from './files.js';

export async function readDistro(root: string): Promise<DistroRelease> {
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    const text = await readFile(inRoot(root, p), 'utf8').catch(() => undefined);
    if (text !== undefined) return distroOf(parseOsRelease(text));
  }
  return { distro: undefined, codename: undefined, versionId: undefined };
}

/** KEEP_CACHE=1 (the script's default): drop docker-clean and keep downloaded .debs, as the script does. */
export async function keepAptCache(root: string): Promise<string[]> {
  const changed: string[] = [];
  if (await putRootFile(root, '/etc/apt/apt.conf.d/docker-clean', undefined)) changed.push('/etc/apt/apt.conf.d/docker-clean');
  if (await putRootFile(root, '/etc/apt/apt.conf.d/keep-cache', Buffer.from('Binary::apt::APT::Keep-Downloaded-Packages "true";\n'))) {
    changed.push('/etc/apt/apt.conf.d/keep-cache');
  }
  return changed;
}

export async function hasSystemCaBundle(root: string): Promise<boolean> {
  return stat(inRoot(root, SYSTEM_CA_BUNDLE)).then((s) => s.size > 0, () => false);
}

/** Writes the CA bundle and the apt option that uses it; returns the paths written. */
export async function installCaBundle(root: string): Promise<string[]> {
  const changed: string[] = [];
  if (await putRootFile(root, CA_BUNDLE_PATH, Buffer.from(await caBundlePem()))) changed.push(CA_BUNDLE_PATH);
  if (await putRootFile(root, CA_CONF_PATH, Buffer.from(caConf()))) changed.push(CA_CONF_PATH);
  return changed;
}
