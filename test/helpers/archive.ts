/**
 * A signed apt archive of our own, in the snapshot layout, built at test time in seconds:
 *
 *   <root>/debian/<id>/dists/{bookworm,bookworm-updates}/{Release,InRelease,main/binary-amd64/Packages{,.gz}}
 *   <root>/debian/<id>/pool/main/...
 *   <root>/debian-security/<id>/dists/bookworm-security/...
 *
 * Small .debs made with dpkg-deb (hello depends on libhello1; hello has version 1.0-1 in the
 * first snapshot and 2.0-1 in the second), indexes made with apt-ftparchive, InRelease
 * clearsigned with a throwaway gpg key whose public keyring (keyring.gpg) a test's apt trusts
 * through Signed-By. The snapshot server helper serves <root> with `dir: { root, archives }`.
 *
 * `{ byHash: true }` makes it like Debian's archive: `Acquire-By-Hash: yes` in the Release, which
 * lists MD5Sum and SHA256 only, and a copy of every index under by-hash/{MD5Sum,SHA256}/<hash>
 * beside it; the unversioned index files stay too.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDebs, poolName, type DebSpec } from './debs.js';

export const SNAP1 = '20240101T000000Z';
export const SNAP2 = '20240201T000000Z';
export const SEC1 = '20240101T120000Z';
export const SEC2 = '20240201T120000Z';

export interface SignedArchive {
  root: string;
  keyring: string;
  /** archive -> ids, for startSnapshotServer({ dir: { root, archives } }) */
  archives: Record<string, string[]>;
  gnupgHome: string;
}

export const CONTENT: Record<string, Record<string, { suite: string; debs: DebSpec[] }[]>> = {
  debian: {
    [SNAP1]: [
      { suite: 'bookworm', debs: [{ name: 'hello', version: '1.0-1', depends: 'libhello1 (>= 1.0)' }, { name: 'libhello1', version: '1.0-1' }, { name: 'tool', version: '1:3.1-2' }] },
      { suite: 'bookworm-updates', debs: [] },
    ],
    [SNAP2]: [
      { suite: 'bookworm', debs: [{ name: 'hello', version: '2.0-1', depends: 'libhello1 (>= 1.0)' }, { name: 'libhello1', version: '1.0-1' }, { name: 'newpkg', version: '0.1-1' }] },
      { suite: 'bookworm-updates', debs: [] },
    ],
  },
  'debian-security': {
    [SEC1]: [{ suite: 'bookworm-security', debs: [{ name: 'libssl-test', version: '3.0.11-1~deb12u1' }] }],
    [SEC2]: [{ suite: 'bookworm-security', debs: [{ name: 'libssl-test', version: '3.0.11-1~deb12u2' }] }],
  },
};

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Buffer {
  return execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

export interface ArchiveOptions {
  /** Debian's shape: Acquire-By-Hash with by-hash copies of every index. */
  byHash?: boolean;
}

export async function buildSignedArchive(o: ArchiveOptions = {}): Promise<SignedArchive> {
  const root = await mkdtemp(join(tmpdir(), 'rs-archive-'));
  const gnupgHome = join(root, '.gnupg');
  await mkdir(gnupgHome, { mode: 0o700 });
  const g = { GNUPGHOME: gnupgHome };
  run('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'repro-sources tests <tests@example.invalid>', 'ed25519', 'sign', '2d'], root, g);
  const keyring = join(root, 'keyring.gpg');
  await writeFile(keyring, run('gpg', ['--batch', '--export'], root, g));
  const archives: Record<string, string[]> = {};
  const built = new Map<string, string>();
  for (const [archive, ids] of Object.entries(CONTENT)) {
    archives[archive] = Object.keys(ids).sort();
    for (const [id, suites] of Object.entries(ids)) {
      const top = join(root, archive, id);
      for (const { suite, debs } of suites) {
        const pool = join(top, 'pool/main', suite);
        // as in a real archive, a version has one set of bytes: a package a later snapshot
        // still holds is the same file
        const fresh = debs.filter((d) => !built.has(`${archive}/${suite}/${poolName(d)}`));
        await buildDebs(pool, fresh, { pool: true });
        for (const d of debs) {
          const key = `${archive}/${suite}/${poolName(d)}`;
          if (built.has(key)) await copyFile(built.get(key)!, join(pool, poolName(d)));
          else built.set(key, join(pool, poolName(d)));
        }
        const dist = join(top, 'dists', suite);
        await mkdir(join(dist, 'main/binary-amd64'), { recursive: true });
        // apt-ftparchive writes Filename: relative to where it runs: the snapshot id's top
        const packages = debs.length > 0 ? run('apt-ftparchive', ['packages', `pool/main/${suite}`], top) : Buffer.alloc(0);
        await writeFile(join(dist, 'main/binary-amd64/Packages'), packages);
        run('gzip', ['-9nk', join(dist, 'main/binary-amd64/Packages')], top);
        // what apt prefers, as the real archive has it
        run('xz', ['-k', join(dist, 'main/binary-amd64/Packages')], top);
        const release = run('apt-ftparchive', [
          '-o', 'APT::FTPArchive::Release::Origin=Debian',
          '-o', 'APT::FTPArchive::Release::Label=Debian',
          '-o', `APT::FTPArchive::Release::Suite=${suite}`,
          '-o', `APT::FTPArchive::Release::Codename=${suite}`,
          '-o', 'APT::FTPArchive::Release::Architectures=amd64',
          '-o', 'APT::FTPArchive::Release::Components=main',
          '-o', 'APT::FTPArchive::Release::Date=' + new Date(Date.UTC(+id.slice(0, 4), +id.slice(4, 6) - 1, +id.slice(6, 8))).toUTCString(),
          ...(o.byHash ? ['-o', 'APT::FTPArchive::Release::Acquire-By-Hash=yes', '-o', 'APT::FTPArchive::Release::SHA1=false', '-o', 'APT::FTPArchive::Release::SHA512=false'] : []),
          'release', `dists/${suite}`,
        ], top);
        await writeFile(join(dist, 'Release'), release);
        if (o.byHash) await addByHash(dist);
        run('gpg', ['--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--clearsign', '-o', join(dist, 'InRelease'), join(dist, 'Release')], top, g);
      }
    }
  }
  return { root, keyring, archives, gnupgHome };
}

/** Copies every index of a dists/SUITE directory (but the Release files) to by-hash/{MD5Sum,SHA256}/<hash> beside it. */
async function addByHash(dist: string): Promise<void> {
  for (const entry of await readdir(dist, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.parentPath === dist) continue;
    const file = join(entry.parentPath, entry.name);
    const bytes = await readFile(file);
    for (const [algo, name] of [['md5', 'MD5Sum'], ['sha256', 'SHA256']] as const) {
      const dir = join(entry.parentPath, 'by-hash', name);
      await mkdir(dir, { recursive: true });
      await copyFile(file, join(dir, createHash(algo).update(bytes).digest('hex')));
    }
  }
}

/** The official image's debian.sources shape, with the fixture keyring and a mirror host of our choosing. */
export function debianSources(keyring: string): string {
  return [
    'Types: deb',
    '# http://snapshot.debian.org/archive/debian/20240101T000000Z',
    'URIs: http://ftp.de.debian.org/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    `Signed-By: ${keyring}`,
    '',
    'Types: deb',
    '# http://snapshot.debian.org/archive/debian-security/20240101T000000Z',
    'URIs: http://ftp.de.debian.org/debian-security',
    'Suites: bookworm-security',
    'Components: main',
    `Signed-By: ${keyring}`,
    '',
  ].join('\n');
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.deb')).sort();
}
