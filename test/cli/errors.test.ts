/** How the CLI ends when the usage is wrong, the OS refuses, or the reader goes away; and what it leaves behind. */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDebs } from '../helpers/debs.js';
import { BOOKWORM, bookwormSnapshots, startSnapshotServer, type SnapshotServer } from '../helpers/snapshot-server.js';
import { BIN, BUNDLE, cleanEnv, runCli } from '../helpers/cli.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rs-errors-'));
});
afterAll(async () => rm(work, { recursive: true, force: true }));

describe('CLI errors', () => {
  it('serve --listen that is not HOST:PORT: exit 2, one line', async () => {
    for (const bad of ['nonsense', '127.0.0.1:99999', ':3142', 'host:port']) {
      expect(await runCli(['serve', '--listen', bad])).toEqual({ code: 2, stdout: '', stderr: `repro-sources: --listen: expected HOST:PORT (e.g. 127.0.0.1:3142), got ${JSON.stringify(bad)}\n` });
    }
  });

  it('serve on an address in use: exit 1, one line naming the address', async () => {
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      expect(await runCli(['serve', '--listen', `127.0.0.1:${port}`])).toEqual({ code: 1, stdout: '', stderr: `repro-sources: 127.0.0.1:${port}: address already in use\n` });
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('an OS error on a path the user gave: exit 1, one line naming the path, not "internal error"', async () => {
    const debs = join(work, 'debs');
    await buildDebs(debs, [{ name: 'one', version: '1' }]);
    const r = await runCli(['cache', 'push', debs, '--to', 'oci-layout:/dev/null/layout', '--distro', 'debian', '--codename', 'bookworm', '--root', work], { env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' }) });
    expect(r).toEqual({ code: 1, stdout: '', stderr: expect.stringMatching(/^repro-sources: \/dev\/null\/layout\S*: not a directory\n$/) });
  });

  it('a reader that goes away (| head -1): the first line, nothing on stderr, exit 0', async () => {
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', `"${process.execPath}" "${BIN}" serve --help | head -1; echo "exit $?"`], { env: cleanEnv() as NodeJS.ProcessEnv });
    expect({ stdout, stderr }).toEqual({ stdout: 'Usage: repro-sources serve [options]\nexit 0\n', stderr: '' });
    // a pipe whose reader is gone before the first write: EPIPE for certain
    const child = spawn(process.execPath, [BIN, 'serve', '--help'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise((r) => child.on('close', r));
    expect({ code, err }).toEqual({ code: 0, err: '' });
  });
});

describe('a Node older than the floor', () => {
  // the version is spoofed before the CLI loads: the check reads process.versions.node
  const asNode = (version: string, script: string, args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '${version}' })`, script, ...args], { env: cleanEnv() as NodeJS.ProcessEnv }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('gets one line and exit 1 from the bin and the bundle, whatever the command; 22.19 runs', async () => {
    for (const script of [BIN, BUNDLE]) {
      for (const version of ['20.20.2', '22.18.0', '18.0.0']) {
        expect(await asNode(version, script, ['snapshot', '--epoch', '1700000000'])).toEqual({ code: 1, stdout: '', stderr: `repro-sources: Node.js ${version}: needs Node.js 22.19 or newer\n` });
      }
      expect(await asNode('22.19.0', script, ['snapshot', '--epoch', '1700000000'])).toEqual({ code: 0, stdout: '20231114T221320Z\n', stderr: '' });
    }
  });
});

describe('standard output shared with a non-blocking owner', () => {
  it('a large output into a full non-blocking pipe arrives whole and in order', async () => {
    // 3 MB of comments: far more than a pipe holds, so write(2) answers EAGAIN while the reader sleeps
    const file = join(work, 'big.list');
    const body = Array.from({ length: 40000 }, (_, i) => `# comment line ${i} ${'x'.repeat(60)}\n`).join('') + 'deb http://ftp.de.debian.org/debian bookworm main\n';
    await writeFile(file, body);
    const py = [
      'import os, subprocess, sys, time',
      'r, w = os.pipe()',
      'os.set_blocking(w, False)',
      'p = subprocess.Popen(sys.argv[1:], stdout=w)',
      'os.close(w)',
      'time.sleep(0.5)',
      'out = b""',
      'while True:',
      '    b = os.read(r, 1 << 16)',
      '    if not b: break',
      '    out += b',
      'sys.stdout.buffer.write(out)',
      'sys.exit(p.wait())',
    ].join('\n');
    const { stdout } = await promisify(execFile)('python3', ['-c', py, process.execPath, BIN, 'rewrite', '--stdout', '--epoch', '1700000000', file], { env: cleanEnv() as NodeJS.ProcessEnv, maxBuffer: 1 << 26 });
    expect(stdout).toBe(body.replace('deb http://ftp.de.debian.org/debian', 'deb [check-valid-until=no] http://snapshot.debian.org/archive/debian/20231114T221320Z/'));
  });
});

describe('what a run leaves behind', () => {
  let server: SnapshotServer;
  beforeAll(async () => {
    server = await startSnapshotServer({ files: bookwormSnapshots() });
  });
  afterAll(async () => server.stop());

  it('nothing in TMPDIR (no compile cache, no temp files): snapshot, resolve, probe', async () => {
    const tmp = await mkdtemp(join(work, 'tmp-'));
    const env = cleanEnv({ TMPDIR: tmp, SOURCE_DATE_EPOCH: '1700000000' });
    expect((await runCli(['snapshot'], { env })).code).toBe(0);
    expect(await runCli(['resolve', '--snapshot-base', server.debianBase, '--date', '2023-11-14T11:00:00Z'], { env })).toEqual({ code: 0, stdout: `${BOOKWORM.D1}\n`, stderr: '' });
    expect(await readdir(tmp)).toEqual([]);
  });
});
