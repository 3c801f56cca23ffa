/**
 * repro-sources, the library. Named exports only; the CLI in bin/ is a thin layer over these.
 */

// errors
export { ReproSourcesError, UsageError, InputError, EpochError, IntegrityError, isReproSourcesError } from './errors.js';
export type { ErrorCode } from './errors.js';

// snapshot ids
export {
  toSnapshotId,
  fromSnapshotId,
  isSnapshotId,
  parseEpochString,
  parseDate,
  checkEpoch,
  toIso,
  MAX_EPOCH,
} from './snapshot/id.js';
export type { EpochRules } from './snapshot/id.js';
export { ARCHIVES, archiveInfo, firstSnapshotOf, snapshotUrl, DEBIAN_SNAPSHOT_BASE, UBUNTU_SNAPSHOT_BASE } from './snapshot/archives.js';
export type { ArchiveInfo, Distro } from './snapshot/archives.js';
export { snapshotDocument } from './snapshot/document.js';
export type { SnapshotDocument } from './snapshot/document.js';

// deb822 indexes
export { parseParagraphs, readParagraphs, stripClearsign, field } from './deb822/reader.js';
export type { Paragraph, ReadOptions } from './deb822/reader.js';

// system files
export { parseOsRelease, distroOf } from './apt/os-release.js';
export type { OsRelease, DistroRelease } from './apt/os-release.js';
