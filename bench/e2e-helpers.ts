// What bench/e2e.mjs takes from the test helpers (bundled by esbuild when the bench runs).
export { buildSignedArchive, debianSources } from '../test/helpers/archive.js';
export { startSnapshotServer } from '../test/helpers/snapshot-server.js';
export { startRegistry } from '../test/helpers/registry.js';
