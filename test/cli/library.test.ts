import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, PROJECT_ROOT } from '../helpers/cli.js';

describe('the library through package.json "exports"', () => {
  it("is importable as 'repro-sources' from the build, without the CLI", () => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', "import { toSnapshotId, parseEpochString } from 'repro-sources'; console.log(toSnapshotId(parseEpochString('1700000000')))"],
      { cwd: PROJECT_ROOT },
    ).toString();
    expect(out).toBe('20231114T221320Z\n');
  });

  it('exports a deliberate API: the documented functions and the error classes, no HTTP client', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', "const m = await import('repro-sources'); console.log(Object.keys(m).sort().join(' '))"], { cwd: PROJECT_ROOT }).toString();
    expect(out.trim().split(' ')).toEqual([
      'DEBIAN_SNAPSHOT_BASE', 'EpochError', 'InputError', 'IntegrityError', 'LATEST_TAG', 'ReproSourcesError', 'UBUNTU_SNAPSHOT_BASE', 'UsageError',
      'aptInstallPackages', 'archiveInfo', 'bump', 'bumpLock', 'checkLock', 'classifyEntry', 'compareVersions', 'diffSnapshots', 'distroOf',
      'dockerfileRelease', 'dockerfileStages', 'fetchLocked', 'findDockerfilePins', 'formatReference', 'fromSnapshotId', 'generateSources',
      'imageRelease', 'isReproSourcesError', 'isSnapshotId', 'latestSnapshot', 'listDebs', 'listTags', 'loadTemplate', 'lock', 'moveTag', 'openStore',
      'parseDate', 'parseEpochString', 'parseLockfile', 'parseOsRelease', 'parseReference', 'probe', 'probeFiles', 'pullDebs', 'pushDebs',
      'resolveSnapshot', 'restoreOriginals', 'rewriteSources', 'runRewrite', 'serializeLockfile', 'snapshotDocument', 'snapshotUrl', 'startServe',
      'templateName', 'toCycloneDx', 'toIso', 'toSnapshotId', 'warm',
    ]);
    expect(readFileSync(join(PROJECT_ROOT, 'dist/index.d.ts'), 'utf8')).not.toMatch(/undici|Dispatcher|Agent\b/);
  });

  it("openStore takes a reference string: 'oci-layout:DIR' opens the layout; a bad one is a UsageError", () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-lib-'));
    const script = `
      import { openStore, UsageError } from 'repro-sources';
      const s = await openStore(${JSON.stringify(`oci-layout:${dir}/layout`)});
      console.log(s.name);
      await s.close();
      try { await openStore('registry.example/x'); } catch (e) { console.log(e instanceof UsageError, e.exitCode, e.message); }`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT }).toString();
    expect(out).toBe(`oci-layout:${dir}/layout\ntrue 2 expected oci://HOST/REPOSITORY[:TAG|@sha256:DIGEST] or oci-layout:DIR[:TAG]\n`);
  });

  it('ships type declarations for the exports', () => {
    const out = execFileSync(process.execPath, ['-p', "require('fs').readFileSync('dist/index.d.ts','utf8').includes('toSnapshotId')"], { cwd: PROJECT_ROOT }).toString();
    expect(out.trim()).toBe('true');
  });
});

describe('startup stays light', () => {
  // stdio goes nowhere: a piped stdout or stderr would itself load node:net
  it.each([
    [['snapshot', '--epoch', '1700000000']],
    [['rewrite', '--epoch', '1700000000', '--stdout', 'test/fixtures/sources/debian-12-official/debian.sources']],
  ])('%j loads no network, crypto, process or V8-tuning modules', (args) => {
    const out = join(mkdtempSync(join(tmpdir(), 'rs-light-')), 'out.json');
    const script = `
      import { writeFileSync } from 'node:fs';
      const { main, tuneProcess } = await import(${JSON.stringify(`${PROJECT_ROOT}dist/split/main.js`)});
      await tuneProcess(${JSON.stringify(args)});
      const io = { stdout: { write() {} }, stderr: { write() {} }, get stdin() { return process.stdin; }, env: {}, cwd: process.cwd(), now: () => Date.now() / 1000 };
      const code = await main(${JSON.stringify(args)}, io);
      writeFileSync(${JSON.stringify(out)}, JSON.stringify({ code, loaded: process.moduleLoadList.filter((m) => /NativeModule (net|tls|http|https|http2|dgram|child_process|crypto|dns|v8)$/.test(m)) }));`;
    execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: cleanEnv() as NodeJS.ProcessEnv, stdio: 'ignore' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ code: 0, loaded: [] });
  });

  it('the real bin with stdout and stderr piped: snapshot writes through its descriptors, loading no node:net or node:stream', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'rs-light-')), 'loaded.json');
    const atExit = `process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList.filter((m) => /NativeModule (net|stream|tty|internal\\/streams\\/writable)$/.test(m)))))`;
    const printed = execFileSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(atExit)}`, join(PROJECT_ROOT, 'bin/repro-sources.js'), 'snapshot', '--epoch', '1700000000'], { env: cleanEnv() as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    expect({ printed, loaded: JSON.parse(readFileSync(out, 'utf8')) }).toEqual({ printed: '20231114T221320Z\n', loaded: [] });
  });

  it('a command that talks HTTP through a proxy gets its V8 tuning (WebAssembly on the baseline compiler only); without a proxy, node:v8 stays unloaded', () => {
    const script = `
      const { tuneProcess } = await import(${JSON.stringify(`${PROJECT_ROOT}dist/split/main.js`)});
      const loaded = () => process.moduleLoadList.includes('NativeModule v8');
      const before = loaded();
      await tuneProcess(['cache', 'list', 'oci://127.0.0.1:5000/a/b:c'], { https_proxy: '' });
      const direct = loaded();
      await tuneProcess(['cache', 'list', 'oci://127.0.0.1:5000/a/b:c'], { HTTPS_PROXY: 'http://proxy.invalid:3128' });
      console.log(before, direct, loaded());`;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT }).toString()).toBe('false false true\n');
  });
});
