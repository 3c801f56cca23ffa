/**
 * A snapshot repository that sources files point at (or will, after rewrite): what `probe`,
 * `diff` and `warm` work on. Produced by the rewrite planner, consumed by the network edges.
 */
import type { Distro } from '../snapshot/archives.js';

export interface SnapshotTarget {
  distro: Distro;
  /** Snapshot archive name: debian, debian-security, debian-ports, debian-debug, debian-archive, ubuntu, ubuntu-ports. */
  archive: string;
  /** Base URL of the snapshot service, ending in '/': the repository is `${base}${archive}/${id}/` (+ subdir). */
  base: string;
  /** The snapshot id asked for (YYYYMMDDTHHMMSSZ). */
  id: string;
  /** Path inside the archive's snapshot tree, '' normally; 'debian/' or 'debian-security/' under debian-archive. */
  subdir: string;
  suites: string[];
  components: string[];
  /** From the entry's arch= / Architectures:, when it limits them. */
  architectures?: string[];
  /** Where the entry came from, for reports. */
  origin?: { file: string; line: number };
}

