/**
 * The drop-in promise: for the official images, the index URLs real apt fetches after our
 * rewrite include every URL it fetches after repro-sources-list.sh's rewrite for the same
 * epoch (that script's output is written down in test/fixtures/reference-script/).
 */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aptPrintUris } from '../helpers/apt.js';
import { cleanEnv, PROJECT_ROOT, runCli } from '../helpers/cli.js';

const FIX = join(PROJECT_ROOT, 'test/fixtures');

const IMAGES = [
  { image: 'debian:11', os: 'ID=debian\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\n', file: 'etc/apt/sources.list', fixture: 'sources/debian-11-official/sources.list', script: 'debian-bullseye.list', base: undefined },
  { image: 'debian:12', os: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', file: 'etc/apt/sources.list.d/debian.sources', fixture: 'sources/debian-12-official/debian.sources', script: 'debian-bookworm.list', base: undefined },
  { image: 'debian:13', os: 'ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n', file: 'etc/apt/sources.list.d/debian.sources', fixture: 'sources/debian-13-official/debian.sources', script: 'debian-trixie.list', base: undefined },
  // the script defaults to http://snapshot.ubuntu.com/ (which redirects to https): compare at the same base
  { image: 'ubuntu:22.04', os: 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n', file: 'etc/apt/sources.list', fixture: 'sources/ubuntu-22.04-official/sources.list', script: 'ubuntu-jammy.list', base: 'http://snapshot.ubuntu.com/' },
  { image: 'ubuntu:24.04', os: 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n', file: 'etc/apt/sources.list.d/ubuntu.sources', fixture: 'sources/ubuntu-24.04-official/ubuntu.sources', script: 'ubuntu-noble.list', base: 'http://snapshot.ubuntu.com/' },
];

/** What real apt fetches for every sources file of a root. */
async function urisOfRoot(root: string): Promise<string[]> {
  const files: Record<string, Buffer> = {};
  const main = await readFile(join(root, 'etc/apt/sources.list')).catch(() => undefined);
  if (main) files['sources.list'] = main;
  for (const f of await readdir(join(root, 'etc/apt/sources.list.d'))) files[f] = await readFile(join(root, 'etc/apt/sources.list.d', f));
  return aptPrintUris(files);
}

describe('drop-in for repro-sources-list.sh: apt fetches at least what it fetched after the script', () => {
  it.each(IMAGES)('$image', async ({ os, file, fixture, script, base }) => {
    const root = await mkdtemp(join(tmpdir(), 'rs-dropin-'));
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), os);
    await writeFile(join(root, file), await readFile(join(FIX, fixture)));
    const r = await runCli(['rewrite', '--root', root, '--no-ca-bundle'], {
      env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000', KEEP_CACHE: '0', ...(base ? { SNAPSHOT_ARCHIVE_BASE: base } : {}) }),
    });
    expect(r.stdout).toBe('SOURCE_DATE_EPOCH=1700000000\n');
    expect(r.code).toBe(0);

    const ourUris = new Set(await urisOfRoot(root));
    const theirUris = await aptPrintUris({ 'sources.list': await readFile(join(FIX, 'reference-script', script)) });
    expect(theirUris.length).toBeGreaterThan(5);
    expect(theirUris.filter((u) => !ourUris.has(u))).toEqual([]);
  });

  it.each(IMAGES.filter((i) => i.image.startsWith('debian:')))('$image with BACKPORTS=1 adds what the script adds', async ({ os, file, fixture, script }) => {
    const root = await mkdtemp(join(tmpdir(), 'rs-dropin-bp-'));
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), os);
    await writeFile(join(root, file), await readFile(join(FIX, fixture)));
    const r = await runCli(['rewrite', '--root', root], { env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000', KEEP_CACHE: '0', BACKPORTS: '1' }) });
    expect(r.code).toBe(0);
    const ourUris = new Set(await urisOfRoot(root));
    const codename = /VERSION_CODENAME=(\w+)/.exec(os)![1]!;
    const theirs = (await readFile(join(FIX, 'reference-script', script), 'utf8')) + `deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20231114T221320Z ${codename}-backports main\n`;
    const theirUris = await aptPrintUris({ 'sources.list': theirs });
    expect(theirUris.some((u) => u.includes(`${codename}-backports`))).toBe(true);
    expect(theirUris.filter((u) => !ourUris.has(u))).toEqual([]);
  });
});
