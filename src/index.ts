/**
 * repro-sources, the library: the functions the README documents, their option and result
 * types, and the error classes. Named exports only; the CLI is a thin layer over these. The
 * HTTP client is an implementation detail: no option or type here names it (each function
 * makes and closes its own connections).
 */
import { probe as probeImpl, type ProbeOptions as ProbeOptionsImpl, type ProbeReport } from './probe/probe.js';
import { latestSnapshot as latestImpl, resolveSnapshot as resolveImpl, type ResolveOptions as ResolveOptionsImpl, type ResolvedSnapshot } from './probe/resolve.js';
import { diffSnapshots as diffImpl, type DiffOptions as DiffOptionsImpl, type DiffReport } from './update/diff.js';
import { startServe as startServeImpl, type ServeHandle, type ServeOptions as ServeOptionsImpl } from './serve/server.js';
import type { SnapshotTarget } from './sources/target.js';

// errors: exitCode 2 is bad input (nothing changed), 1 a runtime failure
export { ReproSourcesError, UsageError, InputError, EpochError, IntegrityError, isReproSourcesError } from './errors.js';
export type { ErrorCode } from './errors.js';

// snapshot ids
export { toSnapshotId, fromSnapshotId, isSnapshotId, parseEpochString, parseDate, toIso } from './snapshot/id.js';
export { archiveInfo, snapshotUrl, DEBIAN_SNAPSHOT_BASE, UBUNTU_SNAPSHOT_BASE } from './snapshot/archives.js';
export type { ArchiveInfo, Distro } from './snapshot/archives.js';
export { snapshotDocument } from './snapshot/document.js';
export type { SnapshotDocument } from './snapshot/document.js';
export type { SnapshotTarget } from './sources/target.js';

// rewrite and restore
export { rewriteSources } from './rewrite/rewrite.js';
export type { RewriteOptions, RewriteResult, ReportEntry, ReportKind, SourcesFormat } from './rewrite/rewrite.js';
export { classifyEntry } from './rewrite/classify.js';
export type { Classification, EntryFacts } from './rewrite/classify.js';
export { runRewrite } from './rewrite/run.js';
export type { RewriteRunOptions, RewriteRun, FileOutcome } from './rewrite/run.js';
export { restoreOriginals } from './rewrite/stash.js';
export type { RestoreOutcome } from './rewrite/stash.js';
export { parseOsRelease, distroOf } from './apt/os-release.js';
export type { OsRelease, DistroRelease } from './apt/os-release.js';

// generate
export { generateSources, templateName } from './generate/generate.js';
export type { GenerateOptions } from './generate/generate.js';
export { loadTemplate } from './generate/templates.js';

// probe and resolve
export type { ProbeReport, ProbeEntry } from './probe/probe.js';
export type { ResolvedSnapshot } from './probe/resolve.js';
export { probeFiles } from './probe/probe-files.js';
export type { ProbeFilesOptions } from './probe/probe-files.js';

export type ProbeOptions = Omit<ProbeOptionsImpl, 'dispatcher'>;
/** Checks that every snapshot repository the targets name is there, whole and fresh. */
export const probe: (targets: readonly SnapshotTarget[], options?: ProbeOptions) => Promise<ProbeReport> = probeImpl;

export type ResolveOptions = Omit<ResolveOptionsImpl, 'dispatcher'>;
/** The exact snapshot a server holds at or before a time. */
export const resolveSnapshot: (o: ResolveOptions) => Promise<ResolvedSnapshot> = resolveImpl;
/** The newest snapshot a server holds. */
export const latestSnapshot: (o: Omit<ResolveOptions, 'id'> & { now?: () => number }) => Promise<ResolvedSnapshot> = latestImpl;

// OCI cache
export { parseReference, formatReference } from './oci/reference.js';
export type { OciReference } from './oci/reference.js';
export { openStore } from './oci/store.js';
export type { BlobStore, StoreOptions } from './oci/store.js';
export { pushDebs } from './cache/push.js';
export type { PushOptions, PushResult, TransferProgress } from './cache/push.js';
export { pullDebs } from './cache/pull.js';
export type { PullOptions, PullResult } from './cache/pull.js';
export { listDebs } from './cache/list.js';
export type { ListedPackage } from './cache/list.js';
export { listTags, moveTag, LATEST_TAG } from './cache/tags.js';
export { warm } from './warm/warm.js';
export type { WarmOptions, WarmResult } from './warm/warm.js';

// serve
export type ServeOptions = Omit<ServeOptionsImpl, 'dispatcher'>;
export type { ServeHandle } from './serve/server.js';
/** Serves snapshot URLs to apt from a cache, asking upstream at most once per object. */
export const startServe: (o?: ServeOptions) => Promise<ServeHandle> = startServeImpl;

// updates
export type DiffOptions = Omit<DiffOptionsImpl, 'fetch'>;
export type { DiffReport, ArchiveDiff } from './update/diff.js';
/** What moving the pin from one snapshot to another changes for the packages a build uses. */
export const diffSnapshots: (o: DiffOptions) => Promise<DiffReport> = diffImpl;
export { bump } from './update/bump.js';
export type { BumpOptions, BumpReport, FileBump } from './update/bump.js';
export { compareVersions } from './update/packages-diff.js';
export { findDockerfilePins } from './update/pins.js';
export type { DockerfilePin } from './update/pins.js';
export { dockerfileRelease, dockerfileStages, aptInstallPackages, imageRelease } from './update/dockerfile.js';
export type { BaseRelease, DockerfileStage } from './update/dockerfile.js';

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
