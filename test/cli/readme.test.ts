/**
 * The README's library examples run as written, against the build (the package imported by its
 * name, as a user's code does), with SNAPSHOT_ARCHIVE_BASE pointing at a local snapshot server.
 * Each `// => X` comment must be what the line before it printed.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookwormSnapshots, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { buildSignedArchive, SNAP1, SNAP2, type SignedArchive } from '../helpers/archive.js';
import { cleanEnv, PROJECT_ROOT } from '../helpers/cli.js';

const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
const library = readme.slice(readme.indexOf('## Library API'), readme.indexOf('\n## ', readme.indexOf('## Library API') + 1));
const blocks = [...library.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);

let server: SnapshotServer;
let archive: SignedArchive;
let work: string;

beforeAll(async () => {
  // the bookworm fixtures (unsigned Releases) and a signed archive, for serve's example
  archive = await buildSignedArchive();
  server = await startSnapshotServer({ files: bookwormSnapshots(), dir: { root: archive.root, archives: { debian: [SNAP1, SNAP2] } } });
  work = await mkdtemp(join(tmpdir(), 'rs-readme-'));
  // a user's project: 'repro-sources' resolves to this package
  await mkdir(join(work, 'node_modules'));
  await symlink(PROJECT_ROOT, join(work, 'node_modules/repro-sources'));
});
afterAll(async () => {
  await server.stop();
  await rm(work, { recursive: true, force: true });
  await rm(archive.root, { recursive: true, force: true });
});

describe("the README's library examples", () => {
  it('has one for each main job: snapshot id, rewrite, probe, cache push/pull, serve', () => {
    expect(blocks.length).toBe(5);
    for (const fn of ['toSnapshotId', 'runRewrite', 'probeFiles', 'pushDebs', 'pullDebs', 'startServe']) expect(blocks.some((b) => b.includes(`${fn}(`)), fn).toBe(true);
  });

  it.each(blocks.map((b, i) => [i + 1, b] as const))('example %i runs and prints what its comments say', async (i, code) => {
    const file = join(work, `example-${i}.mjs`);
    await writeFile(file, code);
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [file], { cwd: work, env: cleanEnv({ SNAPSHOT_ARCHIVE_BASE: server.debianBase, ARCHIVE_KEYRING: archive.keyring }) as NodeJS.ProcessEnv, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    const expected = [...code.matchAll(/^\/\/ => (.*)$/gm)].map((m) => m[1]!);
    expect(expected.length).toBeGreaterThan(0);
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout.trimEnd().split('\n') }).toEqual({ code: 0, stderr: '', stdout: expected });
  });
});
