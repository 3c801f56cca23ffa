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
export { parseParagraphs, readParagraphs, readParagraphBatches, stripClearsign, field } from './deb822/reader.js';
export { fileChunks } from './fs/file-chunks.js';
export type { Paragraph, ReadOptions } from './deb822/reader.js';

// system files
export { parseOsRelease, distroOf } from './apt/os-release.js';
export type { OsRelease, DistroRelease } from './apt/os-release.js';

// lossless deb822 and sources files
export { parseDeb822, serializeDeb822, setField, mapFieldWords, fieldValue, fieldWords, findField } from './deb822/document.js';
export type { Deb822Document, Deb822Paragraph, Deb822Field } from './deb822/document.js';
export { parseOneLine, serializeOneLine, editEntryLine } from './sources/one-line.js';
export type { OneLineDocument, OneLineEntry, OneLineEdit } from './sources/one-line.js';
export { parseDeb822Sources } from './sources/deb822-sources.js';
export type { SourcesStanza, Deb822SourcesDocument } from './sources/deb822-sources.js';
export type { SnapshotTarget } from './sources/target.js';

// rewrite and restore
export { classifyEntry } from './rewrite/classify.js';
export type { Classification } from './rewrite/classify.js';
export { rewriteSources, detectFormat, REPORT_KIND_INFO } from './rewrite/rewrite.js';
export type { RewriteOptions, RewriteResult, ReportEntry, ReportKind } from './rewrite/rewrite.js';
export { runRewrite } from './rewrite/run.js';
export type { RewriteRunOptions, RewriteRun } from './rewrite/run.js';
export { readSourcesFiles, readSourcesFile, snapshotTargets, planRewrites } from './rewrite/files.js';
export { restoreOriginals } from './rewrite/stash.js';

// generate
export { generateSources } from './generate/generate.js';
export type { GenerateOptions } from './generate/generate.js';
export { loadTemplate } from './generate/templates.js';

// probe and resolve
export { probe } from './probe/probe.js';
export type { ProbeOptions, ProbeReport, ProbeEntry } from './probe/probe.js';
export { resolveSnapshot, latestSnapshot } from './probe/resolve.js';
export type { ResolvedSnapshot } from './probe/resolve.js';
export { fetchWithRetry, createAgent } from './net/request.js';
export type { FetchOptions, FetchResult } from './net/request.js';
export { parseRetryAfter, isRetryableStatus, isRetryableError } from './net/retry.js';
export { parseRelease, checkRelease } from './probe/release.js';

// OCI cache
export { parseReference, formatReference } from './oci/reference.js';
export type { OciReference } from './oci/reference.js';
export { openStore } from './oci/store.js';
export type { BlobStore, StoreOptions } from './oci/store.js';
export { buildManifest, parseManifest } from './oci/manifest.js';
export { pushDebs } from './cache/push.js';
export type { PushOptions, PushResult } from './cache/push.js';
export { pullDebs } from './cache/pull.js';
export type { PullOptions, PullResult } from './cache/pull.js';
export { listDebs } from './cache/list.js';

// apt
export { createIsolatedApt, parsePrintUris } from './apt/isolated-apt.js';
export type { IsolatedApt, IsolatedAptOptions } from './apt/isolated-apt.js';

// updates
export { diffSnapshots } from './update/diff.js';
export type { DiffReport } from './update/diff.js';
export { bump } from './update/bump.js';
export type { BumpReport } from './update/bump.js';
export { compareVersions } from './update/packages-diff.js';
export { findDockerfilePins } from './update/pins.js';

// probe and resolve: sources files in, pins out; the retry policy for other network edges
export { probeFiles } from './probe/probe-files.js';
export type { ProbeFilesOptions } from './probe/probe-files.js';
export { networkPins } from './probe/pin.js';
export type { PinOptions, Pins } from './probe/pin.js';
export type { ResolveOptions } from './probe/resolve.js';
export type { AgentOptions } from './net/agent.js';
export { backoffMs, retryDelayMs, defaultSleep } from './net/retry.js';
export type { BackoffOptions, RetryOptions } from './net/retry.js';
export { releaseTime } from './probe/release.js';
export type { ReleaseInfo, ReleaseCheck } from './probe/release.js';

// lockfiles: the exact .debs of a build
export { lock, checkLock, bumpLock } from './lock/lock.js';
export type { LockOptions, CheckOptions, CheckResult, BumpLockOptions, BumpLockResult } from './lock/lock.js';
export { fetchLocked } from './lock/fetch.js';
export type { FetchLockedOptions, FetchLockedResult } from './lock/fetch.js';
export { toCycloneDx } from './lock/sbom.js';
export type { CycloneDxOptions, CycloneDxBom, CycloneDxComponent } from './lock/sbom.js';
export { parseLockfile, serializeLockfile } from './lock/lockfile.js';
export type { Lockfile, LockRequest, LockedArchive, LockedPackage } from './lock/lockfile.js';
export type { LockDiff, ArchiveLockDiff, LockedChange } from './lock/compare.js';
