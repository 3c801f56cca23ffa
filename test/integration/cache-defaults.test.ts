/**
 * The cache commands' defaults agree: `cache push --root R` pushes R's apt cache, a push without
 * a tag moves `latest`, and `cache list` / `cache pull` without a tag find that set; `cache tags`
 * lists what the repository holds (skopeo as the independent reader).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDebs } from '../helpers/debs.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

let registry: TestRegistry;
let work: string;
let root: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-cache-defaults-'));
  root = join(work, 'root');
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
  await buildDebs(join(root, 'var/cache/apt/archives'), [{ name: 'hello', version: '2.10-3' }, { name: 'libfoo1', version: '1:1.2-1' }]);
  // apt's partial/ and lock are in the cache directory too, and are not .debs
  await mkdir(join(root, 'var/cache/apt/archives/partial'));
  await writeFile(join(root, 'var/cache/apt/archives/lock'), '');
});
afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('cache defaults', () => {
  it('push --root R with no directory pushes R/var/cache/apt/archives and moves latest; list and pull without a tag find it', async () => {
    const repo = `oci://${registry.host}/deb/defaults`;
    const pushed = await runCli(['cache', 'push', '--to', repo, '--root', root], { env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' }) });
    expect(pushed.code).toBe(0);
    const digest = pushed.stdout.trim();
    expect(pushed.stderr).toMatch(new RegExp(`^repro-sources: pushed ${repo}:debian-bookworm-20231114T221320Z-amd64 \\(and :latest\\): 2 files, `));
    const listed = await runCli(['cache', 'list', repo]);
    expect({ code: listed.code, packages: listed.stdout.split('\n').filter(Boolean).map((l) => l.split('\t').slice(0, 2).join(' ')) }).toEqual({ code: 0, packages: ['hello 2.10-3', 'libfoo1 1:1.2-1'] });
    const pulled = await runCli(['cache', 'pull', repo, '--to', join(work, 'pulled'), '--json']);
    expect(pulled.code).toBe(0);
    expect(JSON.parse(pulled.stdout)).toMatchObject({ schemaVersion: 1, digest, files: 2 });
    expect((await readdir(join(work, 'pulled'))).sort()).toEqual(['hello_2.10-3_amd64.deb', 'libfoo1_1%3a1.2-1_amd64.deb']);
    // pull --root R restores into R's apt cache, as push --root R reads it
    const other = join(work, 'other-root');
    expect((await runCli(['cache', 'pull', repo, '--root', other])).code).toBe(0);
    expect((await readdir(join(other, 'var/cache/apt/archives'))).sort()).toEqual(['hello_2.10-3_amd64.deb', 'libfoo1_1%3a1.2-1_amd64.deb']);
    const tags = await runCli(['cache', 'tags', repo]);
    expect(tags).toEqual({ code: 0, stdout: 'debian-bookworm-20231114T221320Z-amd64\nlatest\n', stderr: '' });
    const skopeo = JSON.parse(execFileSync('skopeo', ['list-tags', '--tls-verify=false', `docker://${registry.host}/deb/defaults`]).toString());
    expect(skopeo.Tags.sort()).toEqual(['debian-bookworm-20231114T221320Z-amd64', 'latest']);
  });

  it('an explicit tag does not move latest; tags of an empty repository are none', async () => {
    const repo = `oci://${registry.host}/deb/explicit`;
    const pushed = await runCli(['cache', 'push', '--to', `${repo}:mine`, '--root', root], { env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' }) });
    expect(pushed.code).toBe(0);
    expect((await runCli(['cache', 'tags', '--json', repo])).stdout).toBe(`${JSON.stringify({ schemaVersion: 1, ref: repo, tags: ['mine'] }, null, 2)}\n`);
    const none = await runCli(['cache', 'tags', `oci://${registry.host}/deb/nothing-here`]);
    expect(none).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
