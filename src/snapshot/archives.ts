/**
 * The snapshot archives repro-sources knows, with the first snapshot each one has and the
 * base URL it is served from by default. Pure data.
 */

export type Distro = 'debian' | 'ubuntu';

export interface ArchiveInfo {
  readonly name: string;
  readonly distro: Distro;
  /** The earliest snapshot id the service holds for this archive. */
  readonly firstSnapshot: string;
  /** Base URL the archive lives under: `${base}${name}/${id}/`. */
  readonly defaultBase: string;
}

export const DEBIAN_SNAPSHOT_BASE = 'http://snapshot.debian.org/archive/';
export const UBUNTU_SNAPSHOT_BASE = 'https://snapshot.ubuntu.com/';

// First imports as commonly used by public build code (shared research notes, section 1.4);
// snapshot.ubuntu.com holds any time from 2023-03-01 on.
const TABLE: readonly ArchiveInfo[] = [
  { name: 'debian', distro: 'debian', firstSnapshot: '20050312T000000Z', defaultBase: DEBIAN_SNAPSHOT_BASE },
  { name: 'debian-security', distro: 'debian', firstSnapshot: '20050313T000000Z', defaultBase: DEBIAN_SNAPSHOT_BASE },
  { name: 'debian-ports', distro: 'debian', firstSnapshot: '20081002T000000Z', defaultBase: DEBIAN_SNAPSHOT_BASE },
  { name: 'debian-debug', distro: 'debian', firstSnapshot: '20050312T000000Z', defaultBase: DEBIAN_SNAPSHOT_BASE },
  { name: 'debian-archive', distro: 'debian', firstSnapshot: '20050312T000000Z', defaultBase: DEBIAN_SNAPSHOT_BASE },
  { name: 'debian-backports', distro: 'debian', firstSnapshot: '20090114T125110Z', defaultBase: DEBIAN_SNAPSHOT_BASE },
  { name: 'debian-volatile', distro: 'debian', firstSnapshot: '20050313T000000Z', defaultBase: DEBIAN_SNAPSHOT_BASE },
  { name: 'ubuntu', distro: 'ubuntu', firstSnapshot: '20230301T000000Z', defaultBase: UBUNTU_SNAPSHOT_BASE },
  { name: 'ubuntu-ports', distro: 'ubuntu', firstSnapshot: '20230301T000000Z', defaultBase: UBUNTU_SNAPSHOT_BASE },
];

export const ARCHIVES: ReadonlyMap<string, ArchiveInfo> = new Map(TABLE.map((a) => [a.name, a]));

/** The archives a distro's sources normally use, in the order reports list them. */
export const DISTRO_ARCHIVES: Readonly<Record<Distro, readonly string[]>> = {
  debian: ['debian', 'debian-security'],
  ubuntu: ['ubuntu'],
};

export function archiveInfo(name: string): ArchiveInfo | undefined {
  return ARCHIVES.get(name);
}

/** The first snapshot a distro has at all (its main archive's). */
export function firstSnapshotOf(distro: Distro): string {
  return distro === 'debian' ? '20050312T000000Z' : '20230301T000000Z';
}

export function isDistro(s: string): s is Distro {
  return s === 'debian' || s === 'ubuntu';
}

/** `${base}${archive}/${id}/` with exactly one slash between the parts. */
export function snapshotUrl(base: string, archive: string, id: string): string {
  return `${base.endsWith('/') ? base : `${base}/`}${archive}/${id}/`;
}
