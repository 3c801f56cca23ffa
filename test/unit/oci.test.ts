import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatReference, parseReference } from '../../src/oci/reference.js';
import { mergeScopes, parseChallenges } from '../../src/oci/challenge.js';
import { findCredentials } from '../../src/oci/credentials.js';
import { checkSafeDebName, debFileName, parseDebFileName } from '../../src/cache/deb-file.js';
import { buildManifest, defaultTag, parseManifest } from '../../src/oci/manifest.js';
import { UsageError } from '../../src/errors.js';

describe('references', () => {
  it.each([
    ['oci://127.0.0.1:5000/deb/debian:bookworm', { kind: 'registry', host: '127.0.0.1:5000', repository: 'deb/debian', tag: 'bookworm', plainHttp: true }],
    ['oci://localhost/deb@sha256:' + 'a'.repeat(64), { kind: 'registry', host: 'localhost', repository: 'deb', digest: 'sha256:' + 'a'.repeat(64), plainHttp: true }],
    ['oci://ghcr.io/acme/deb-cache', { kind: 'registry', host: 'ghcr.io', repository: 'acme/deb-cache', plainHttp: false }],
    ['oci-layout:/tmp/cache:set1', { kind: 'layout', dir: '/tmp/cache', tag: 'set1' }],
    ['oci-layout:./rel/dir', { kind: 'layout', dir: './rel/dir' }],
    ['oci-layout:/c@sha256:' + 'b'.repeat(64), { kind: 'layout', dir: '/c', digest: 'sha256:' + 'b'.repeat(64) }],
  ])('%s', (ref, expected) => {
    expect(parseReference(ref)).toEqual(expected);
    expect(formatReference(parseReference(ref))).toBe(ref);
  });

  it.each([
    ['docker://x/y', 'expected oci://HOST/REPOSITORY[:TAG|@sha256:DIGEST] or oci-layout:DIR[:TAG]'],
    ['oci://host', 'expected oci://HOST[:PORT]/REPOSITORY[:TAG|@sha256:DIGEST]'],
    ['oci://host/Upper', 'repository names are lowercase [a-z0-9] parts separated by ".", "_", "-" and "/"'],
    ['oci://host/repo:bad+tag', 'tag "bad+tag" does not match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}'],
    ['oci://host/repo@sha256:abc', 'not a sha256 digest after "@"'],
  ])('refuses %s', (ref, message) => {
    expect(() => parseReference(ref)).toThrow(UsageError);
    expect(() => parseReference(ref)).toThrow(message);
  });
});

describe('WWW-Authenticate', () => {
  it('parses quoted values holding commas and spaces', () => {
    expect(parseChallenges('Bearer realm="http://127.0.0.1:5003/token",service="test-registry",scope="repository:deb/z:pull,push repository:deb/other:pull",error="insufficient_scope"')).toEqual([
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:5003/token', service: 'test-registry', scope: 'repository:deb/z:pull,push repository:deb/other:pull', error: 'insufficient_scope' } },
    ]);
    expect(parseChallenges('Basic realm="test-registry"')).toEqual([{ scheme: 'basic', params: { realm: 'test-registry' } }]);
  });

  it('merges the actions a token request asks for per resource, whatever order the registry wrote them in', () => {
    expect(mergeScopes(['repository:deb/z:pull,push', 'repository:deb/z:push,pull', 'repository:deb/other:pull', '', 'registry:catalog:*'])).toEqual([
      'repository:deb/z:pull,push',
      'repository:deb/other:pull',
      'registry:catalog:*',
    ]);
  });
});

describe('credentials from Docker config', () => {
  it('uses credHelpers through the docker-credential protocol, then auths', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rs-creds-'));
    await writeFile(join(dir, 'docker-credential-fake'), '#!/bin/sh\nread server\n[ "$1" = get ] && [ "$server" = "reg.example:5000" ] && printf \'{"ServerURL":"%s","Username":"robot","Secret":"s3:cret"}\' "$server" && exit 0\necho "credentials not found in native keychain"; exit 1\n');
    await chmod(join(dir, 'docker-credential-fake'), 0o755);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ credHelpers: { 'reg.example:5000': 'fake' }, auths: { 'https://other.example/v1/': { auth: Buffer.from('u:p:w').toString('base64') } } }));
    const env = { DOCKER_CONFIG: dir, PATH: `${dir}:${process.env.PATH}` };
    expect(await findCredentials('reg.example:5000', env)).toEqual({ username: 'robot', password: 's3:cret' });
    expect(await findCredentials('other.example', env)).toEqual({ username: 'u', password: 'p:w' });
    expect(await findCredentials('nowhere.example', env)).toBeUndefined();
  });
});

describe('.deb names', () => {
  it('reads apt cache names, with %3a for the epoch colon', () => {
    expect(parseDebFileName('libfoo1_1%3a1.2~rc1+dfsg-1_amd64.deb')).toEqual({ package: 'libfoo1', version: '1:1.2~rc1+dfsg-1', architecture: 'amd64' });
    expect(debFileName({ package: 'libfoo1', version: '1:1.2~rc1+dfsg-1', architecture: 'amd64' })).toBe('libfoo1_1%3a1.2~rc1+dfsg-1_amd64.deb');
    expect(parseDebFileName('README.txt')).toBeUndefined();
  });

  it.each(['../x.deb', 'a/b.deb', 'a\\b.deb', 'x\0.deb', '.deb', 'x.tar', '..'])('refuses %j', (name) => {
    expect(() => checkSafeDebName(name, 'm')).toThrow(/refusing file name/);
  });
});

describe('manifest', () => {
  const layers = [
    { title: 'b_1_amd64.deb', digest: `sha256:${'b'.repeat(64)}`, size: 2, package: 'b', version: '1', architecture: 'amd64' },
    { title: 'a_1_amd64.deb', digest: `sha256:${'a'.repeat(64)}`, size: 1, package: 'a', version: '1', architecture: 'amd64' },
  ];
  it('is the same bytes whatever the order of the files', () => {
    expect(buildManifest(layers, { created: 0 }).equals(buildManifest([...layers].reverse(), { created: 0 }))).toBe(true);
    expect(parseManifest(buildManifest(layers, {}), 'x').layers.map((l) => l.title)).toEqual(['a_1_amd64.deb', 'b_1_amd64.deb']);
  });
  it('default tag', () => {
    expect(defaultTag({ distro: 'debian', codename: 'bookworm', snapshot: '20231114T221320Z', architecture: 'amd64' })).toBe('debian-bookworm-20231114T221320Z-amd64');
  });
});
