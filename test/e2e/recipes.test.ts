/**
 * The Dockerfile recipes can't rot silently: every repro-sources invocation in templates/Dockerfile.*
 * is extracted and run (the single-file bundle) against a fixture root shaped like the recipe's
 * base image, with the recipe's own ARG defaults. No Docker engine runs here: apt-get steps and
 * the bind mounts themselves are not exercised.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptPrintUris } from '../helpers/apt.js';
import { buildDebs } from '../helpers/debs.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { BUNDLE, cleanEnv, PROJECT_ROOT, runCli } from '../helpers/cli.js';

const TEMPLATES = join(PROJECT_ROOT, 'templates');
const FIX = join(PROJECT_ROOT, 'test/fixtures/sources');

const IMAGES: Record<string, { os: string; file: string; fixture: string }> = {
  'debian:bookworm': { os: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', file: 'etc/apt/sources.list.d/debian.sources', fixture: 'debian-12-official/debian.sources' },
  'debian:bookworm-slim': { os: 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n', file: 'etc/apt/sources.list.d/debian.sources', fixture: 'debian-12-official/debian.sources' },
  'debian:trixie': { os: 'ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n', file: 'etc/apt/sources.list.d/debian.sources', fixture: 'debian-13-official/debian.sources' },
  'ubuntu:24.04': { os: 'ID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\n', file: 'etc/apt/sources.list.d/ubuntu.sources', fixture: 'ubuntu-24.04-official/ubuntu.sources' },
};

interface Recipe {
  file: string;
  from: string;
  args: Record<string, string>;
  /** Each invocation's VAR=value prefixes, then its arguments. */
  invocations: { env: Record<string, string>; argv: string[] }[];
  runs: string[];
}

/** The last FROM, its ARG defaults, and each `node …repro-sources.mjs ARGS` of its RUN lines. */
function parseRecipe(file: string, text: string): Recipe {
  const joined = text.replace(/\\\n/g, ' ');
  const lines = joined.split('\n').filter((l) => !l.trimStart().startsWith('#'));
  const from = lines.filter((l) => /^FROM\s/.test(l)).map((l) => l.split(/\s+/)[1]!).at(-1)!;
  const args: Record<string, string> = {};
  for (const l of lines) {
    const m = /^ARG\s+([A-Z_]+)=(\S+)/.exec(l);
    if (m) args[m[1]!] = m[2]!;
  }
  const invocations: Recipe['invocations'] = [];
  const runs = lines.filter((x) => x.startsWith('RUN'));
  for (const l of runs) {
    // "[VAR=value ...] node /path/repro-sources.mjs ARGS" as a command, not the node binary's mount target
    for (const m of l.matchAll(/(?:^|[\s&;])((?:[A-Z_]+=\S+\s+)*)node\s+\/\S*repro-sources\.mjs\s+([^&;]*)/g)) {
      const env = Object.fromEntries(m[1]!.trim().split(/\s+/).filter(Boolean).map((kv) => kv.split('=') as [string, string]));
      invocations.push({ env, argv: m[2]!.trim().split(/\s+/).map((w) => w.replace(/^"(.*)"$/, '$1')) });
    }
  }
  return { file, from, args, invocations, runs };
}

let registry: TestRegistry;
let work: string;
let digest: string;
/** A lock of the set the registry holds, for the recipes that fetch a lockfile. */
let lockFile: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), 'rs-recipes-'));
  await buildDebs(join(work, 'debs'), [{ name: 'gcc', version: '4:12.2.0-3' }]);
  const pushed = await runCli(['cache', 'push', join(work, 'debs'), '--to', `oci://${registry.host}/deb/debian:recipe`, '--root', work], { script: BUNDLE, env: cleanEnv({ SOURCE_DATE_EPOCH: '1700000000' }) });
  digest = pushed.stdout.trim();
  const deb = await readFile(join(work, 'debs', 'gcc_4%3a12.2.0-3_amd64.deb'));
  const { createHash } = await import('node:crypto');
  lockFile = join(work, 'repro-sources.lock.json');
  const base = 'http://127.0.0.1:9/archive/debian/20231114T000000Z/';
  await writeFile(lockFile, JSON.stringify({
    lockfileVersion: 1,
    request: { packages: ['gcc'], distro: 'debian', codename: 'bookworm', time: '20231114T221320Z', architectures: ['amd64'], archives: [{ name: 'debian', snapshot: '20231114T000000Z', url: base, suites: ['bookworm'], components: ['main'] }] },
    packages: [{ name: 'gcc', version: '4:12.2.0-3', architecture: 'amd64', source: 'gcc-defaults', filename: 'pool/main/g/gcc-defaults/gcc_12.2.0-3_amd64.deb', url: `${base}pool/main/g/gcc-defaults/gcc_12.2.0-3_amd64.deb`, size: deb.length, sha256: createHash('sha256').update(deb).digest('hex'), depends: [] }],
  }));
});
afterAll(async () => {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('Dockerfile recipes in templates/', async () => {
  const files = (await readdir(TEMPLATES)).filter((f) => f.startsWith('Dockerfile.')).sort();

  it('there are the six recipes', () => {
    expect(files).toEqual(['Dockerfile.cache-restore', 'Dockerfile.debian-12', 'Dockerfile.debian-13-native', 'Dockerfile.lockfile', 'Dockerfile.no-node', 'Dockerfile.ubuntu-24.04']);
  });

  it.each(files)('%s: leaves no downloaded .deb or index in a layer, and takes Node from an image at the floor (22)', async (file) => {
    const recipe = parseRecipe(file, await readFile(join(TEMPLATES, file), 'utf8'));
    const installs = recipe.runs.filter((r) => /apt-get install/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const run of installs) {
      // the .debs: in a cache mount, or deleted by the image's docker-clean (KEEP_CACHE=0 keeps it)
      expect(run.includes('--mount=type=cache,target=/var/cache/apt,sharing=locked') || /\bKEEP_CACHE=0 node\b/.test(run), `${file}: .debs`).toBe(true);
      // the indexes: in a cache mount, or removed in the same step
      expect(run.includes('--mount=type=cache,target=/var/lib/apt/lists,sharing=locked') || run.includes('rm -rf /var/lib/apt/lists/*'), `${file}: lists`).toBe(true);
    }
    for (const m of recipe.runs.join('\n').matchAll(/from=node:(\d+)/g)) expect(Number(m[1])).toBeGreaterThanOrEqual(22);
    // where the bundle comes from is said in the recipe (or the one it points to)
    expect(await readFile(join(TEMPLATES, file), 'utf8')).toMatch(/npm run build/);
  });

  it.each(files)('%s: every repro-sources invocation runs against a root like its base image', async (file) => {
    const recipe = parseRecipe(file, await readFile(join(TEMPLATES, file), 'utf8'));
    expect(recipe.invocations.length).toBeGreaterThan(0);
    const image = IMAGES[recipe.from];
    expect(image, `a fixture root for ${recipe.from}`).toBeDefined();
    const root = join(work, file);
    await mkdir(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    await writeFile(join(root, 'etc/os-release'), image!.os);
    await writeFile(join(root, image!.file), await readFile(join(FIX, image!.fixture)));
    // a cache mount shared with builds of other locks: what they left must not be installed
    if (file === 'Dockerfile.lockfile') {
      await mkdir(join(root, 'var/cache/repro-sources/debs'), { recursive: true });
      await writeFile(join(root, 'var/cache/repro-sources/debs/stale_1.0-1_amd64.deb'), 'from another lock');
    }
    for (const { env, argv } of recipe.invocations) {
      // the recipe's environment: its ARGs; DEB_CACHE points at the test registry's set
      let args = argv.map((a) => (a === '$DEB_CACHE' ? `oci://${registry.host}/deb/debian@${digest}` : a));
      if (args[0] === 'rewrite') args = [...args, '--root', root];
      if (args[0] === 'cache') args = args.map((a) => (a === '/var/cache/apt/archives' ? join(root, 'var/cache/apt/archives') : a));
      // fetch: the bind-mounted lock is the test's lock of the registry's set; the cache mount lies under the root
      if (args[0] === 'fetch') args = args.map((a) => (a.endsWith('.lock.json') ? lockFile : a.startsWith('/var/cache/') ? join(root, a) : a));
      const r = await runCli(args, { script: BUNDLE, env: cleanEnv({ ...recipe.args, ...env, SOURCE_DATE_EPOCH: recipe.args.SOURCE_DATE_EPOCH ?? '' }) });
      expect({ args: args.join(' '), code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ args: args.join(' '), code: 0, stderr: '' });
    }
    // what apt would read afterwards is accepted by real apt and points at a snapshot (or at the mirror with Snapshot: for --native)
    const sources = await readFile(join(root, image!.file));
    const uris = await aptPrintUris({ [image!.file.split('/').at(-1)!]: sources });
    expect(uris.length).toBeGreaterThan(0);
    if (!recipe.invocations.some((a) => a.argv.includes('--native'))) for (const u of uris) expect(u).toMatch(/^https?:\/\/snapshot\.(debian\.org\/archive|ubuntu\.com)\/[a-z-]+\/20231114T221320Z\//);
    // KEEP_CACHE=0 leaves the image's apt cache settings alone; otherwise the drop-in keeps the .debs (for the cache mount)
    expect(await readFile(join(root, 'etc/apt/apt.conf.d/keep-cache'), 'utf8').catch(() => 'absent')).toBe(
      recipe.invocations.some((i) => i.env.KEEP_CACHE === '0') ? 'absent' : 'Binary::apt::APT::Keep-Downloaded-Packages "true";\n',
    );
    if (file === 'Dockerfile.lockfile') expect(await readdir(join(root, 'var/cache/repro-sources/debs'))).toEqual(['gcc_4%3a12.2.0-3_amd64.deb']);
    if (file === 'Dockerfile.cache-restore') expect(await readdir(join(root, 'var/cache/apt/archives'))).toEqual(['gcc_4%3a12.2.0-3_amd64.deb']);
    if (file === 'Dockerfile.ubuntu-24.04') expect(await readFile(join(root, 'etc/apt/apt.conf.d/50repro-sources-ca'), 'utf8')).toContain('Acquire::https::CaInfo');
    if (file === 'Dockerfile.debian-13-native') expect(await readFile(join(root, 'etc/apt/apt.conf.d/50repro-sources-snapshot'), 'utf8')).toContain('APT::Snapshot "20231114T221320Z";');
  });
});
