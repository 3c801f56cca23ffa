import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';

describe('repro-sources snapshot', () => {
  it('prints the id alone for --epoch', async () => {
    expect(await runCli(['snapshot', '--epoch', '1700000000'])).toEqual({ code: 0, stdout: '20231114T221320Z\n', stderr: '' });
  });

  it('uses SOURCE_DATE_EPOCH from the environment', async () => {
    expect(await runCli(['snapshot'], { env: cleanEnv({ SOURCE_DATE_EPOCH: '1709164800' }) })).toEqual({ code: 0, stdout: '20240229T000000Z\n', stderr: '' });
  });

  it('takes an ISO date', async () => {
    expect((await runCli(['snapshot', '--date', '2024-02-29T12:00:00+01:00'])).stdout).toBe('20240229T110000Z\n');
  });

  it('prints the --json document', async () => {
    const r = await runCli(['snapshot', '--epoch', '1700000000', '--json', '--distro', 'ubuntu']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      schemaVersion: 1,
      epoch: 1700000000,
      id: '20231114T221320Z',
      iso: '2023-11-14T22:13:20Z',
      distro: 'ubuntu',
      urls: { ubuntu: 'https://snapshot.ubuntu.com/ubuntu/20231114T221320Z/' },
    });
    const d = await runCli(['snapshot', '--epoch', '1700000000', '--json', '--snapshot-base', 'http://127.0.0.1:9/archive/']);
    expect(JSON.parse(d.stdout).urls).toEqual({
      debian: 'http://127.0.0.1:9/archive/debian/20231114T221320Z/',
      'debian-security': 'http://127.0.0.1:9/archive/debian-security/20231114T221320Z/',
    });
  });

  it('defaults to the mtime of ROOT/etc/apt/sources.list.d/debian.sources, as repro-sources-list.sh does', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rs-root-'));
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await writeFile(join(root, 'etc/apt/sources.list'), '');
    await utimes(join(root, 'etc/apt/sources.list'), 1600000000, 1600000000);
    expect((await runCli(['snapshot', '--root', root])).stdout).toBe('20200913T122640Z\n');
    await writeFile(join(root, 'etc/apt/sources.list.d/debian.sources'), '');
    await utimes(join(root, 'etc/apt/sources.list.d/debian.sources'), 1700000000, 1700000000);
    expect((await runCli(['snapshot', '--root', root])).stdout).toBe('20231114T221320Z\n');
  });

  it.each([
    [['--epoch', 'abc'], 'repro-sources: --epoch abc: not a number: must be an unsigned decimal integer\n'],
    [['--epoch', '-5'], 'repro-sources: --epoch -5: negative: an epoch is seconds since 1970-01-01T00:00:00Z\n'],
    [['--epoch', '1000'], 'repro-sources: --epoch 1000: before the first snapshot of debian (20050312T000000Z)\n'],
    [['--epoch', '1700000000', '--distro', 'ubuntu'], 'repro-sources: --epoch 1700000000: ok\n'],
    [['--epoch', '1600000000', '--distro', 'ubuntu'], 'repro-sources: --epoch 1600000000: before the first snapshot of ubuntu (20230301T000000Z)\n'],
    [['--epoch', '253402300800'], 'repro-sources: --epoch 253402300800: beyond year 9999: the last usable epoch is 253402300799\n'],
    [['--epoch', '1', '--date', '2020-01-01'], 'repro-sources: --epoch --date: give only one of --snapshot, --epoch and --date\n'],
    [['--date', '2023-02-30'], 'repro-sources: --date 2023-02-30: not a valid calendar date and time\n'],
    [['--distro', 'arch', '--epoch', '1700000000'], "repro-sources: usage: option '--distro <distro>' argument 'arch' is invalid. Allowed choices are debian, ubuntu.\n"],
    [['--bogus'], "repro-sources: usage: unknown option '--bogus'\n"],
  ])('%j fails with one line and exit 2', async (args, line) => {
    const r = await runCli(['snapshot', ...args]);
    if (line.endsWith(': ok\n')) {
      expect(r.code).toBe(0);
      return;
    }
    expect(r).toEqual({ code: 2, stdout: '', stderr: line });
  });

  it('refuses the future unless --allow-future', async () => {
    const future = String(Math.floor(Date.now() / 1000) + 86400 * 30);
    const r = await runCli(['snapshot', '--epoch', future]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^repro-sources: --epoch \d+: in the future \(\d{8}T\d{6}Z is after now, \d{8}T\d{6}Z\); pass --allow-future to use it anyway\n$/);
    expect((await runCli(['snapshot', '--epoch', future, '--allow-future'])).code).toBe(0);
  });

  it('says what is missing when no time is given at all', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rs-empty-'));
    expect(await runCli(['snapshot', '--root', root])).toEqual({
      code: 2,
      stdout: '',
      stderr: `repro-sources: SOURCE_DATE_EPOCH: not set, no --epoch/--date/--snapshot given, and no sources file under ${root} to take an mtime from\n`,
    });
  });

  it('prints help and version with exit 0', async () => {
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: repro-sources [options] [command]');
    const v = await runCli(['--version']);
    expect(v).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
