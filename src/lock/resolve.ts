/**
 * The package set of a request, resolved by this machine's apt in an isolated state: `update`
 * fetches and verifies the indexes (InRelease against the Signed-By keys, every index against
 * its InRelease), `install --print-uris` resolves the dependencies without downloading a .deb,
 * and the records of the chosen files are read from the indexes apt has just verified, for
 * their versions, sizes and sha256.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readParagraphBatches } from '../deb822/reader.js';
import { createIsolatedApt, findApt } from '../apt/isolated-apt.js';
import { IntegrityError, ReproSourcesError, UsageError } from '../errors.js';
import { lockedDependencies } from './depends.js';
import type { LockedArchive, LockedPackage } from './lockfile.js';
import { renderSources } from './sources.js';

export interface ResolveInput {
  packages: readonly string[];
  archives: readonly LockedArchive[];
  /** The first is apt's native architecture. */
  architectures: readonly string[];
  signal?: AbortSignal;
}

const FIELDS: ReadonlySet<string> = new Set(['Package', 'Version', 'Architecture', 'Source', 'Filename', 'Size', 'SHA256', 'Depends', 'Pre-Depends', 'Provides']);

/**
 * One line of `install --print-uris`: 'URL' FILE SIZE HASH. apt quotes the URL ("+" as %2b,
 * "~" as %7e): the URL returned is unquoted, as the index's Filename reads.
 */
export function parseInstallUris(stdout: string): { url: string; size: number }[] {
  const out: { url: string; size: number }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^'([^']+)' \S+ (\d+) /.exec(line);
    if (m) out.push({ url: decodeURIComponent(m[1]!), size: Number(m[2]) });
  }
  return out;
}

export async function resolvePackages(i: ResolveInput): Promise<LockedPackage[]> {
  if (i.packages.length === 0) throw new UsageError('PKG', 'name at least one package');
  for (const p of i.packages) if (p.startsWith('-')) throw new UsageError(p, 'not a package name');
  await findApt('apt-get');
  const dir = await mkdtemp(join(tmpdir(), 'repro-sources-lock-'));
  try {
    const [arch, ...foreign] = i.architectures;
    const apt = await createIsolatedApt({
      dir,
      sources: { 'lock.sources': renderSources(i.archives) },
      ...(arch ? { arch } : {}),
      foreignArchitectures: foreign,
      // indexes kept as plain files, read below
      config: 'Acquire::GzipIndexes "false";',
    });
    const opts = i.signal ? { signal: i.signal } : {};
    const up = await apt.check(['update', '-q'], opts);
    // apt exits 0 when a repository could not be used (an index not fetched, a bad signature):
    // a lock from part of the sources would be a wrong lock
    const warn = up.stderr.split('\n').find((l) => /^(E|Err):|^W: (Failed to fetch|Some index files failed|GPG error|The repository)/.test(l));
    if (warn) throw new ReproSourcesError('APT', 'apt-get update', warn, { exitCode: 1 });
    const r = await apt.check(['install', '--print-uris', '-qq', '--no-install-recommends', '-y', ...i.packages], opts);
    const wanted = new Map(parseInstallUris(r.stdout).map((u) => [u.url, u]));
    // the Packages lists apt fetched and verified, per archive (`apt-get indextargets` would
    // say too, at the price of building apt's whole cache once more)
    const lists = (await readdir(apt.listsDir)).filter((n) => n.endsWith('_Packages')).sort();
    const found = new Map<string, Map<string, string>>();
    const read = new Set<string>();
    for (const a of i.archives) {
      const prefix = `${listFilePrefix(a.url)}dists_`;
      for (const name of lists.filter((n) => n.startsWith(prefix))) {
        if (found.size === wanted.size || read.has(name)) continue;
        read.add(name);
        for await (const batch of readParagraphBatches(createReadStream(join(apt.listsDir, name), { highWaterMark: 1 << 20 }), { fields: FIELDS })) {
          for (const p of batch) {
            const url = `${a.url}${p.get('Filename') ?? ''}`;
            if (wanted.has(url) && !found.has(url)) found.set(url, p);
          }
        }
      }
    }
    const records = [...wanted.values()].map((u) => {
      const p = found.get(u.url);
      if (!p) throw new ReproSourcesError('APT', u.url, 'apt chose this file, but no index apt verified lists it');
      const size = Number(p.get('Size'));
      const sha256 = p.get('SHA256');
      if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new ReproSourcesError('APT', u.url, 'its index record has no SHA256');
      if (size !== u.size) throw new IntegrityError(u.url, `${size} bytes (the index)`, `${u.size} bytes (apt)`);
      return { u, p, size, sha256 };
    });
    const deps = lockedDependencies(records.map(({ p }) => ({ name: p.get('Package')!, depends: [p.get('Pre-Depends'), p.get('Depends')].filter(Boolean).join(', '), provides: p.get('Provides') })));
    return records.map(({ u, p, size, sha256 }) => {
      const name = p.get('Package')!;
      return {
        name,
        version: p.get('Version')!,
        architecture: p.get('Architecture')!,
        source: (p.get('Source') ?? name).split(/\s/)[0]!,
        filename: p.get('Filename')!,
        url: u.url,
        size,
        sha256,
        depends: deps.get(name) ?? [],
      };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The start of the names apt gives the lists of a repository (apt's URItoFileName): the URI
 * without scheme and credentials, some characters %-quoted, "/" as "_".
 */
export function listFilePrefix(uri: string): string {
  const bare = uri.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^/@]*@/, '');
  let out = '';
  for (const ch of bare) {
    const c = ch.codePointAt(0)!;
    out += c <= 0x20 || c >= 0x7f || '\\|{}[]<>"^~_=!@#$%&*'.includes(ch) ? `%${c.toString(16).padStart(2, '0')}` : ch;
  }
  return out.replace(/\//g, '_');
}
