/**
 * This machine's apt-get with a state of its own: sources, config parts, lists, cache, dpkg
 * status and keyrings all live under one directory, so nothing reads or writes the host's
 * /etc/apt, /var/lib/apt or /var/cache/apt. Used by `warm` and by the tests as the judge of
 * what apt makes of our sources files.
 */
import { execFile } from 'node:child_process';
import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { ReproSourcesError } from '../errors.js';

export interface IsolatedAptOptions {
  /** Directory that holds the whole state; created if missing. */
  dir: string;
  /** Native architecture (APT::Architecture). Default: amd64. */
  arch?: string;
  /** Extra foreign architectures. */
  foreignArchitectures?: string[];
  /** Sources files to install: name (sources.list, x.list, y.sources) -> content. */
  sources?: Record<string, string | Uint8Array>;
  /** Extra apt.conf lines, appended verbatim. */
  config?: string;
  /** Environment for apt (PATH is taken from the process when absent). */
  env?: Record<string, string | undefined>;
}

export interface AptResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface IsolatedApt {
  readonly dir: string;
  readonly configFile: string;
  readonly sourcesListFile: string;
  readonly sourcesPartsDir: string;
  readonly confPartsDir: string;
  readonly listsDir: string;
  readonly archivesDir: string;
  readonly statusFile: string;
  /** Runs apt-get (or another apt binary) with this state. Never rejects on a non-zero exit. */
  run(args: readonly string[], opts?: { program?: string; signal?: AbortSignal }): Promise<AptResult>;
  /** Runs apt-get and throws a ReproSourcesError carrying apt's last error lines unless it exits 0. */
  check(args: readonly string[], opts?: { program?: string; signal?: AbortSignal }): Promise<AptResult>;
  writeSources(files: Record<string, string | Uint8Array>): Promise<void>;
}

/** Finds an apt binary on PATH, or fails with an error naming what is missing. */
export async function findApt(program = 'apt-get', env: Record<string, string | undefined> = process.env): Promise<string> {
  for (const dir of (env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, program);
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  throw new ReproSourcesError('MISSING_TOOL', program, 'not found on PATH: this needs Debian or Ubuntu apt (package "apt")');
}

export async function createIsolatedApt(options: IsolatedAptOptions): Promise<IsolatedApt> {
  const dir = options.dir;
  const etc = join(dir, 'etc');
  const paths = {
    configFile: join(dir, 'apt.conf'),
    sourcesListFile: join(etc, 'sources.list'),
    sourcesPartsDir: join(etc, 'sources.list.d'),
    confPartsDir: join(etc, 'apt.conf.d'),
    listsDir: join(dir, 'lists'),
    archivesDir: join(dir, 'archives'),
    statusFile: join(dir, 'status'),
  };
  for (const d of [etc, paths.sourcesPartsDir, paths.confPartsDir, join(etc, 'preferences.d'), join(etc, 'trusted.gpg.d'),
    join(paths.listsDir, 'partial'), join(paths.archivesDir, 'partial'), join(dir, 'cache'), join(dir, 'log')]) {
    await mkdir(d, { recursive: true });
  }
  await writeFile(paths.statusFile, '', { flag: 'a' });
  const arch = options.arch ?? 'amd64';
  const archs = [arch, ...(options.foreignArchitectures ?? [])];
  // APT_CONFIG is read before the config parts directory, so pointing Dir::Etc::Parts here
  // keeps the host's /etc/apt/apt.conf.d (docker-clean and friends) out.
  const conf = [
    `Dir::Etc "${etc}/";`,
    `Dir::Etc::Main "${join(etc, 'apt.conf')}";`,
    `Dir::Etc::Parts "${paths.confPartsDir}/";`,
    `Dir::Etc::SourceList "${paths.sourcesListFile}";`,
    `Dir::Etc::SourceParts "${paths.sourcesPartsDir}/";`,
    `Dir::Etc::Preferences "${join(etc, 'preferences')}";`,
    `Dir::Etc::PreferencesParts "${join(etc, 'preferences.d')}/";`,
    `Dir::Etc::Trusted "${join(etc, 'trusted.gpg')}";`,
    `Dir::Etc::TrustedParts "${join(etc, 'trusted.gpg.d')}/";`,
    `Dir::State "${dir}/";`,
    `Dir::State::Lists "${paths.listsDir}/";`,
    `Dir::State::Status "${paths.statusFile}";`,
    `Dir::State::extended_states "${join(dir, 'extended_states')}";`,
    `Dir::Cache "${join(dir, 'cache')}/";`,
    `Dir::Cache::Archives "${paths.archivesDir}/";`,
    `Dir::Cache::pkgcache "";`,
    `Dir::Cache::srcpkgcache "";`,
    `Dir::Log "${join(dir, 'log')}/";`,
    `Debug::NoLocking "true";`,
    // The downloads go to directories root made; apt's _apt sandbox user could not write them.
    `APT::Sandbox::User "root";`,
    `APT::Architecture "${arch}";`,
    `APT::Architectures { ${archs.map((a) => `"${a}";`).join(' ')} };`,
    `Acquire::Languages "none";`,
    `APT::Get::List-Cleanup "false";`,
    options.config ?? '',
    '',
  ].join('\n');
  await writeFile(paths.configFile, conf);
  // apt reads http_proxy, https_proxy and no_proxy itself, as this project's own requests do
  const proxyEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(https?|no)_proxy$/i.test(k)));
  const baseEnv: Record<string, string | undefined> = { ...(options.env ?? { PATH: process.env.PATH, ...proxyEnv }), APT_CONFIG: paths.configFile, LC_ALL: 'C' };

  const run = (args: readonly string[], opts: { program?: string; signal?: AbortSignal } = {}): Promise<AptResult> =>
    new Promise((resolve, reject) => {
      const program = opts.program ?? 'apt-get';
      execFile(program, [...args], { env: baseEnv as NodeJS.ProcessEnv, maxBuffer: 64 * 1024 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) },
        (err, stdout, stderr) => {
          if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') reject(new ReproSourcesError('MISSING_TOOL', program, 'not found on PATH: this needs Debian or Ubuntu apt (package "apt")'));
            else reject(err);
            return;
          }
          const exit = err ? ((err as { code?: number }).code ?? 1) : 0;
          resolve({ code: typeof exit === 'number' ? exit : 1, stdout, stderr });
        });
    });

  const apt: IsolatedApt = {
    dir,
    ...paths,
    run,
    async check(args, opts) {
      const r = await run(args, opts);
      if (r.code !== 0) {
        const lines = r.stderr.split('\n').filter((l) => /^(E|W|Err):/.test(l));
        const why = (lines.length > 0 ? lines.slice(-3) : r.stderr.trim().split('\n').slice(-2)).join(' | ');
        throw new ReproSourcesError('APT', `${opts?.program ?? 'apt-get'} ${args.join(' ')}`, `failed with exit ${r.code}: ${why}`, { exitCode: 1 });
      }
      return r;
    },
    async writeSources(files) {
      for (const [name, content] of Object.entries(files)) {
        const target = name === 'sources.list' ? paths.sourcesListFile : join(paths.sourcesPartsDir, name);
        await writeFile(target, content);
      }
    },
  };
  if (options.sources) await apt.writeSources(options.sources);
  return apt;
}

/** The URIs of `apt-get update --print-uris` / `install --print-uris` output, in apt's order. */
export function parsePrintUris(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^'([^']+)'/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}
