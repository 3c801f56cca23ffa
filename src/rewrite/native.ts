/**
 * apt's own snapshot support (`--native`): which target apt can do it, and the apt configuration
 * that tells it where each mirror host's snapshots are. apt maps a host to a server with
 * Acquire::Snapshots::URI::Host::HOST and fills in @PATH@ (the URI path) and @SNAPSHOTID@ (shared
 * research notes, section 3.3), so this works when the mirror path is the archive's name. Pure.
 */
import { UsageError } from '../errors.js';
import type { DistroRelease } from '../apt/os-release.js';
import type { SnapshotTarget } from '../sources/target.js';
import { DEBIAN_RELEASE_CODENAMES, UBUNTU_WITHOUT_NATIVE_SNAPSHOTS } from '../snapshot/releases.js';
import { compareVersions } from '../update/packages-diff.js';

const DEBIAN_WITHOUT = new Set(DEBIAN_RELEASE_CODENAMES.slice(0, DEBIAN_RELEASE_CODENAMES.indexOf('trixie')));
/** apt learned Snapshot: / snapshot= in 2.7 (Ubuntu 23.10; Debian 13 has 3.0). */
export const NATIVE_MIN_APT = '2.7';

/** Refuses a target whose apt has no snapshot support (Debian before 13, Ubuntu before 23.10). */
export function checkNativeSupport(os: DistroRelease, where: string): void {
  if (os.distro === 'debian') {
    const v = os.versionId ? Number.parseInt(os.versionId, 10) : undefined;
    if ((v !== undefined && v < 13) || (os.codename && DEBIAN_WITHOUT.has(os.codename))) {
      throw new UsageError('--native', `${where} is Debian ${os.codename ?? os.versionId}: its apt has no snapshot support (it came with apt 3.0 in Debian 13); rewrite without --native`);
    }
  } else if (os.distro === 'ubuntu') {
    const v = os.versionId ? Number.parseFloat(os.versionId) : undefined;
    if ((v !== undefined && v < 23.1) || (os.codename && UBUNTU_WITHOUT_NATIVE_SNAPSHOTS.has(os.codename))) {
      throw new UsageError('--native', `${where} is Ubuntu ${os.versionId ?? os.codename}: its apt (before 2.7) has no snapshot support; rewrite without --native`);
    }
  }
}

/** Refuses a root whose installed apt (its dpkg status) is older than 2.7: it would ignore snapshot=. */
export function checkNativeApt(aptVersion: string | undefined, where: string): void {
  if (aptVersion !== undefined && compareVersions(aptVersion, NATIVE_MIN_APT) < 0) {
    throw new UsageError('--native', `${where} has apt ${aptVersion}: apt before ${NATIVE_MIN_APT} ignores Snapshot: and snapshot=; rewrite without --native`);
  }
}

/** Refuses entries of a release whose apt has no snapshot support (bookworm, jammy ...): apt there would ignore it. */
export function checkNativeTargets(targets: readonly SnapshotTarget[]): void {
  for (const t of targets) {
    for (const suite of t.suites) {
      const codename = suite.replace(/[-/].*$/, '');
      const old = t.distro === 'debian' ? DEBIAN_WITHOUT.has(codename) : UBUNTU_WITHOUT_NATIVE_SNAPSHOTS.has(codename);
      if (old) throw new UsageError('--native', `${t.origin?.file ?? '<input>'}:${t.origin?.line ?? 0}: ${suite} is a release whose apt has no snapshot support (apt ${NATIVE_MIN_APT} or newer needs it); rewrite without --native`);
    }
  }
}

export interface NativeEntry {
  /** The entry's URI as written (the mirror). */
  uri: string;
  target: SnapshotTarget;
}

/** apt.conf lines mapping each mirror host to its snapshot server; refuses a host apt can't map. */
export function nativeSnapshotConf(entries: readonly NativeEntry[], id: string): string {
  const hosts = new Map<string, string>();
  for (const { uri, target } of entries) {
    const u = new URL(uri.replace(/^[a-z]+\+/, ''));
    const path = u.pathname.replace(/^\/+|\/+$/g, '');
    if (path !== target.archive || target.subdir !== '') {
      throw new UsageError(uri, `apt's snapshot support puts the mirror path (${path || '/'}) into the snapshot URL, and snapshot has no archive by that name; rewrite without --native`);
    }
    const template = `${target.base}@PATH@/@SNAPSHOTID@/`;
    const seen = hosts.get(u.host);
    if (seen !== undefined && seen !== template) throw new UsageError(uri, `host ${u.host} would need two snapshot servers; rewrite without --native`);
    hosts.set(u.host, template);
  }
  const lines = ['// Written by repro-sources rewrite --native: where apt finds the snapshots of these mirrors.', `APT::Snapshot "${id}";`];
  for (const [host, template] of [...hosts].sort()) lines.push(`Acquire::Snapshots::URI::Host::${host} "${template}";`);
  return `${lines.join('\n')}\n`;
}
