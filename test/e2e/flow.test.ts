/**
 * The promise, end to end, with real parts: same SOURCE_DATE_EPOCH, same packages, even with the
 * snapshot server gone. A signed archive of our own behind the local snapshot server; the
 * single-file bundle run from an empty directory; real apt-get with isolated state; a real
 * docker-registry; then the same through an OCI layout.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedApt, type IsolatedApt } from '../../src/apt/isolated-apt.js';
import { buildSignedArchive, debianSources, listDir, type SignedArchive } from '../helpers/archive.js';
import { startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { BUNDLE, cleanEnv, runCli } from '../helpers/cli.js';

let archive: SignedArchive;
let server: SnapshotServer;
let registry: TestRegistry;
let bundle: string;
let work: string;

// 2024-01-15: between the two snapshots, so the server answers with the first one's content
const EPOCH = '1705276800';

beforeAll(async () => {
  archive = await buildSignedArchive();
  server = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-e2e-'));
  // the bundle alone, in a directory with no node_modules anywhere above it that could help
  const empty = await mkdtemp(join(tmpdir(), 'rs-bundle-'));
  bundle = join(empty, 'repro-sources.mjs');
  await copyFile(BUNDLE, bundle);
});
afterAll(async () => {
  await server.stop();
  await registry.stop();
  await rm(work, { recursive: true, force: true });
  await rm(archive.root, { recursive: true, force: true });
});

const bundled = (args: string[], env: Record<string, string> = {}) => runCli(args, { script: bundle, cwd: tmpdir(), env: cleanEnv({ SOURCE_DATE_EPOCH: EPOCH, ...env }) });

async function rewrittenRoot(name: string): Promise<string> {
  const root = join(work, name);
  await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(archive.keyring));
  const r = await bundled(['rewrite', '--root', root, '--snapshot-base', server.debianBase, '--epoch', EPOCH]);
  expect(r.stdout).toBe(`SOURCE_DATE_EPOCH=${EPOCH}\n`);
  expect(r.code).toBe(0);
  return root;
}

async function aptFor(root: string, name: string): Promise<IsolatedApt> {
  return createIsolatedApt({ dir: join(work, name), sources: { 'debian.sources': await readFile(join(root, 'etc/apt/sources.list.d/debian.sources')) } });
}

function debInfo(file: string): string {
  return execFileSync('dpkg-deb', ['-f', file, 'Package', 'Version']).toString();
}

describe('end to end: pin, install, cache, and install again with the snapshot server gone', () => {
  it('through a registry', async () => {
    const root = await rewrittenRoot('root-registry');
    const apt = await aptFor(root, 'apt-registry');
    await apt.check(['update']);
    await apt.check(['install', '--download-only', '-y', 'hello']);
    // the version of the first snapshot, never the later one
    expect(await listDir(apt.archivesDir)).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);

    const pushed = await bundled(['cache', 'push', apt.archivesDir, '--to', `oci://${registry.host}/deb/debian`, '--root', root]);
    expect(pushed.code).toBe(0);
    const digest = pushed.stdout.trim();
    expect(pushed.stderr).toContain(`pushed oci://${registry.host}/deb/debian:debian-bookworm-20240115T000000Z-amd64 (and :latest): 2 files`);

    for (const f of await listDir(apt.archivesDir)) await rm(join(apt.archivesDir, f));
    await server.stop();
    const pulled = await bundled(['cache', 'pull', `oci://${registry.host}/deb/debian@${digest}`, '--to', apt.archivesDir]);
    expect(pulled.code).toBe(0);
    const again = await apt.check(['install', '--download-only', '-y', 'hello']);
    // nothing was fetched: every .deb came from the pulled cache
    expect(again.stdout).toContain('Need to get 0 B');
    expect(debInfo(join(apt.archivesDir, 'hello_1.0-1_amd64.deb'))).toBe('Package: hello\nVersion: 1.0-1\n');
    expect(debInfo(join(apt.archivesDir, 'libhello1_1.0-1_amd64.deb'))).toBe('Package: libhello1\nVersion: 1.0-1\n');
    server = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  });

  it('through an OCI layout directory', async () => {
    const root = await rewrittenRoot('root-layout');
    const apt = await aptFor(root, 'apt-layout');
    await apt.check(['update']);
    await apt.check(['install', '--download-only', '-y', 'hello', 'tool']);
    expect(await listDir(apt.archivesDir)).toEqual(['hello_1.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb', 'tool_1%3a3.1-2_amd64.deb']);
    const layout = join(work, 'layout');
    const digest = (await bundled(['cache', 'push', apt.archivesDir, '--to', `oci-layout:${layout}:bookworm`, '--root', root])).stdout.trim();
    for (const f of await listDir(apt.archivesDir)) await rm(join(apt.archivesDir, f));
    await server.stop();
    expect((await bundled(['cache', 'pull', `oci-layout:${layout}@${digest}`, '--to', apt.archivesDir])).code).toBe(0);
    const again = await apt.check(['install', '--download-only', '-y', 'hello', 'tool']);
    expect(again.stdout).toContain('Need to get 0 B');
    expect(debInfo(join(apt.archivesDir, 'tool_1%3a3.1-2_amd64.deb'))).toBe('Package: tool\nVersion: 1:3.1-2\n');
    server = await startSnapshotServer({ dir: { root: archive.root, archives: archive.archives } });
  });

  it('a later epoch gets the later version', async () => {
    const root = join(work, 'root-later');
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
    await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(archive.keyring));
    expect((await bundled(['rewrite', '--root', root, '--snapshot-base', server.debianBase, '--snapshot', '20240215T000000Z'])).code).toBe(0);
    const apt = await aptFor(root, 'apt-later');
    await apt.check(['update']);
    await apt.check(['install', '--download-only', '-y', 'hello']);
    expect(await listDir(apt.archivesDir)).toEqual(['hello_2.0-1_amd64.deb', 'libhello1_1.0-1_amd64.deb']);
  });
});

describe('warm', () => {
  it('resolves, downloads and pushes a package set in one command, and the set is what apt chose', async () => {
    const root = join(work, 'root-warm');
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
    await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), debianSources(archive.keyring));
    const r = await bundled(['warm', 'hello', '--root', root, '--snapshot-base', server.debianBase, '--to', `oci://${registry.host}/deb/warm`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(r.stderr).toBe(`repro-sources: warmed oci://${registry.host}/deb/warm:debian-bookworm-20240115T000000Z-amd64 (and :latest) at 20240115T000000Z: 2 files, 1.5 kB sent, 0 B skipped\n`);
    const listed = await bundled(['cache', 'list', `oci://${registry.host}/deb/warm@${r.stdout.trim()}`]);
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual(['hello 1.0-1', 'libhello1 1.0-1']);
  });

  it('without apt on the host, says what is missing', async () => {
    const r = await runCli(['warm', 'hello', '--distro', 'debian', '--codename', 'bookworm', '--to', `oci-layout:${join(work, 'nowhere')}`], {
      script: bundle,
      env: { PATH: '/nonexistent', SOURCE_DATE_EPOCH: EPOCH },
    });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'repro-sources: apt-get: not found on PATH: this needs Debian or Ubuntu apt (package "apt")\n' });
  });
});

describe('the single-file bundle', () => {
  it('runs with plain node from an empty directory and has no import of node_modules left', async () => {
    const r = await bundled(['snapshot', '--epoch', '1700000000']);
    expect(r).toEqual({ code: 0, stdout: '20231114T221320Z\n', stderr: '' });
    const text = await readFile(bundle, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(/from ["'](undici|p-retry|p-limit|commander)["']/.test(text)).toBe(false);
    expect(await readdir(join(bundle, '..'))).toEqual(['repro-sources.mjs']);
  });
});
