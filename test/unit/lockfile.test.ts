import { describe, expect, it } from 'vitest';
import { lockedDependencies, parseRelations } from '../../src/lock/depends.js';
import { localName, locateUrl, parseLockfile, serializeLockfile, type Lockfile, type LockedPackage } from '../../src/lock/lockfile.js';
import { bumpLockMarkdown, diffLocks, renderLockDiff } from '../../src/lock/compare.js';
import { debPurl, toCycloneDx } from '../../src/lock/sbom.js';
import { rebase } from '../../src/lock/fetch.js';
import { renderSources, repositoriesOfLock } from '../../src/lock/sources.js';
import { listFilePrefix, parseInstallUris } from '../../src/lock/resolve.js';

const BASE = 'http://snapshot.example/archive/debian/20240101T000000Z/';
const pkg = (name: string, version: string, extra: Partial<LockedPackage> = {}): LockedPackage => ({
  name,
  version,
  architecture: 'amd64',
  source: name,
  filename: `pool/main/${name[0]}/${name}/${name}_${version.replace(/^\d+:/, '')}_amd64.deb`,
  url: `${BASE}pool/main/${name[0]}/${name}/${name}_${version.replace(/^\d+:/, '')}_amd64.deb`,
  size: 100,
  sha256: 'a'.repeat(64),
  depends: [],
  ...extra,
});
const LOCK: Lockfile = {
  lockfileVersion: 1,
  request: {
    packages: ['zed', 'app'],
    distro: 'debian',
    codename: 'bookworm',
    time: '20240102T000000Z',
    architectures: ['amd64'],
    archives: [{ name: 'debian', snapshot: '20240101T000000Z', url: BASE, suites: ['bookworm'], components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg' }],
  },
  packages: [pkg('zed', '1:2.0-1', { depends: ['libz1'] }), pkg('app', '1.0-1', { depends: ['zed', 'libz1'], source: 'app-src' }), pkg('libz1', '1.2-3')],
};

describe('relations', () => {
  it('reads names out of Depends, alternatives, versions, arch qualifiers and restrictions', () => {
    expect(parseRelations('a (>= 1), b:any | c [amd64], d <!nocheck>')).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(parseRelations(undefined)).toEqual([]);
  });

  it('resolves each relation to the locked package that serves it: by name, else by Provides, first alternative served', () => {
    const deps = lockedDependencies([
      { name: 'app', depends: 'mail-transport-agent | exim4, libc6 (>= 2.36), missing', provides: undefined },
      { name: 'postfix', depends: 'libc6', provides: 'mail-transport-agent, default-mta (= 1)' },
      { name: 'libc6', depends: 'libgcc-s1 | libgcc1, libc6', provides: undefined },
    ]);
    expect(Object.fromEntries(deps)).toEqual({ app: ['libc6', 'postfix'], postfix: ['libc6'], libc6: [] });
  });
});

describe('the lockfile', () => {
  it('is written in one way: keys in order, packages and depends sorted, whatever the object', () => {
    const text = serializeLockfile(LOCK);
    expect(JSON.parse(text).packages.map((p: LockedPackage) => p.name)).toEqual(['app', 'libz1', 'zed']);
    expect(JSON.parse(text).packages[0].depends).toEqual(['libz1', 'zed']);
    expect(Object.keys(JSON.parse(text))).toEqual(['lockfileVersion', 'request', 'packages']);
    expect(Object.keys(JSON.parse(text).packages[0])).toEqual(['name', 'version', 'architecture', 'source', 'filename', 'url', 'size', 'sha256', 'depends']);
    const shuffled = { packages: [...LOCK.packages].reverse().map((p) => ({ ...p, depends: [...p.depends].reverse() })), request: LOCK.request, lockfileVersion: 1 } as Lockfile;
    expect(serializeLockfile(shuffled)).toBe(text);
    expect(serializeLockfile(parseLockfile(text))).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it.each([
    [{ filename: '../../etc/x.deb' }, 'packages[0].filename: not a relative path to a .deb: "../../etc/x.deb"'],
    [{ sha256: 'A'.repeat(64) }, 'packages[0].sha256: expected a string matching /^[0-9a-f]{64}$/'],
    [{ size: -1 }, 'packages[0].size: expected a byte count'],
    [{ name: 'Bad/Name' }, 'packages[0].name: expected a string matching /^[a-z0-9][a-z0-9+.-]*$/'],
  ])('refuses %j', (edit, message) => {
    const doc = JSON.parse(serializeLockfile(LOCK));
    doc.packages[0] = { ...doc.packages[0], ...edit };
    expect(() => parseLockfile(JSON.stringify(doc), 'x.lock.json')).toThrow(message);
  });

  it('names fetched files as apt\'s cache does (epoch as %3a)', () => {
    expect(localName(pkg('zed', '1:2.0-1'))).toBe('zed_1%3a2.0-1_amd64.deb');
  });

  it('places a URL of an older snapshot in its archive, and moves it to another base', () => {
    const older = pkg('old', '1', { url: 'http://snapshot.example/archive/debian/20230101T000000Z/pool/main/o/old/old_1_amd64.deb' });
    expect(locateUrl(LOCK, older.url)).toEqual({ archive: LOCK.request.archives[0], snapshot: '20230101T000000Z', path: 'pool/main/o/old/old_1_amd64.deb' });
    expect(rebase(LOCK, older, 'http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/debian/20230101T000000Z/pool/main/o/old/old_1_amd64.deb');
    expect(locateUrl(LOCK, 'http://elsewhere.example/debian/20230101T000000Z/x.deb')).toBeUndefined();
  });
});

describe('sources of a lock', () => {
  it('renders each archive as a deb822 stanza, an inline key folded, and reads the repositories back', () => {
    const archives = [{ ...LOCK.request.archives[0]!, signedBy: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ\n-----END PGP PUBLIC KEY BLOCK-----' }];
    expect(renderSources(archives)).toBe(
      `Types: deb\nURIs: ${BASE}\nSuites: bookworm\nComponents: main\nSigned-By: -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEZ\n -----END PGP PUBLIC KEY BLOCK-----\nCheck-Valid-Until: no\n`,
    );
    expect(repositoriesOfLock(LOCK.request.archives)).toEqual([{ name: 'debian', base: 'http://snapshot.example/archive/', subdir: '', suites: ['bookworm'], components: ['main'], signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg' }]);
  });
});

describe('comparing locks', () => {
  const after: Lockfile = {
    ...LOCK,
    request: { ...LOCK.request, time: '20240202T000000Z', archives: [{ ...LOCK.request.archives[0]!, snapshot: '20240201T000000Z', url: BASE.replace('20240101', '20240201') }] },
    packages: [pkg('zed', '1:1.9-1', { depends: ['libz1'], sha256: 'b'.repeat(64) }), pkg('app', '1.1-1', { depends: ['zed', 'libz1'], source: 'app-src', sha256: 'c'.repeat(64) }), pkg('newlib', '0.1-1')],
  };

  it('prints what differs in the shape of diff', () => {
    const d = diffLocks(LOCK, after);
    expect(d.same).toBe(false);
    expect(renderLockDiff(d)).toBe(
      'request: time differ\n' +
        'debian 20240101T000000Z -> 20240201T000000Z: 2 changed, 1 added, 1 removed\n' +
        '  ~ app amd64 1.0-1 -> 1.1-1\n  ~ zed amd64 1:2.0-1 -> 1:1.9-1\n  + newlib amd64 0.1-1\n  - libz1 amd64 1.2-3\n',
    );
    expect(diffLocks(LOCK, LOCK).same).toBe(true);
  });

  it('writes the bump summary: upgraded, downgraded, added, removed', () => {
    expect(bumpLockMarkdown('app.lock.json', diffLocks(LOCK, after), LOCK, after)).toBe(
      [
        '## Bump app.lock.json from 20240102T000000Z to 20240202T000000Z',
        '',
        '**debian** 20240101T000000Z → 20240201T000000Z: 1 upgraded, 1 downgraded, 1 added, 1 removed',
        '- app (amd64): 1.0-1 → 1.1-1',
        '- zed (amd64): 1:2.0-1 → 1:1.9-1 (downgrade)',
        '- newlib (amd64): new, 0.1-1',
        '- libz1 (amd64): removed (was 1.2-3)',
        '',
      ].join('\n'),
    );
  });
});

describe('CycloneDX', () => {
  it('gives purls with the distro qualifier of the release', () => {
    expect(debPurl(pkg('zed', '1:2.0-1'), 'debian', 'bookworm')).toBe('pkg:deb/debian/zed@1:2.0-1?arch=amd64&distro=debian-12');
    expect(debPurl(pkg('bash', '5.2.21-2ubuntu4'), 'ubuntu', 'noble')).toBe('pkg:deb/ubuntu/bash@5.2.21-2ubuntu4?arch=amd64&distro=ubuntu-24.04');
    expect(debPurl(pkg('x', '1'), 'debian', 'sid')).toBe('pkg:deb/debian/x@1?arch=amd64&distro=debian-sid');
  });

  it('is this exact document', () => {
    const one: Lockfile = { ...LOCK, packages: [pkg('app', '1.0-1', { depends: ['libz1'], source: 'app-src' }), pkg('libz1', '1.2-3')] };
    const purl = (n: string, v: string) => `pkg:deb/debian/${n}@${v}?arch=amd64&distro=debian-12`;
    const component = (p: LockedPackage) => ({
      type: 'library',
      'bom-ref': purl(p.name, p.version),
      name: p.name,
      version: p.version,
      purl: purl(p.name, p.version),
      hashes: [{ alg: 'SHA-256', content: p.sha256 }],
      externalReferences: [{ type: 'distribution', url: p.url }],
      properties: [{ name: 'repro-sources:source', value: p.source }, { name: 'repro-sources:archive', value: 'debian' }, { name: 'repro-sources:size', value: '100' }],
    });
    expect(toCycloneDx(one, { sourceDateEpoch: 1700000000 })).toEqual({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      metadata: {
        timestamp: '2023-11-14T22:13:20Z',
        tools: { components: [{ type: 'application', name: 'repro-sources', version: expect.any(String) }] },
        properties: [
          { name: 'repro-sources:request:packages', value: 'zed app' },
          { name: 'repro-sources:request:time', value: '20240102T000000Z' },
          { name: 'repro-sources:snapshot:debian', value: '20240101T000000Z' },
        ],
      },
      components: one.packages.map(component),
      dependencies: [
        { ref: purl('app', '1.0-1'), dependsOn: [purl('libz1', '1.2-3')] },
        { ref: purl('libz1', '1.2-3'), dependsOn: [] },
      ],
    });
  });
});

describe('reading apt', () => {
  it('unquotes the URLs of install --print-uris', () => {
    expect(parseInstallUris("'http://127.0.0.1:1/debian/20240101T000000Z/pool/main/g/gcc-12/gcc-12-base_12.2.0-14%2bdeb12u1_amd64.deb' gcc-12-base_12.2.0-14+deb12u1_amd64.deb 37456 MD5Sum:0123\n")).toEqual([
      { url: 'http://127.0.0.1:1/debian/20240101T000000Z/pool/main/g/gcc-12/gcc-12-base_12.2.0-14+deb12u1_amd64.deb', size: 37456 },
    ]);
  });

  it('names a repository\'s lists as apt does', () => {
    expect(listFilePrefix('http://127.0.0.1:37021/debian/20240101T000000Z/')).toBe('127.0.0.1:37021_debian_20240101T000000Z_');
    expect(listFilePrefix('https://user:pw@snapshot.example/my_repo~x/')).toBe('snapshot.example_my%5frepo%7ex_');
  });
});
