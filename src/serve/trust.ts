/**
 * The roots of trust: a Release is kept only once the archive's key has signed it (gpgv over
 * the archive keyrings), or, for an archive serve has no keyring for, once it is at least a
 * whole, parseable Release. Everything below a Release is checked against its hashes, so a
 * Release kept wrongly would make every later check meaningless.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { archiveInfo } from '../snapshot/archives.js';
import { releaseHashes } from './release-hashes.js';

/** The keyrings Debian's and Ubuntu's keyring packages install; removed keys too, for old snapshots. */
const DEFAULT_KEYRINGS: Record<string, string[]> = {
  debian: ['/usr/share/keyrings/debian-archive-keyring.gpg', '/usr/share/keyrings/debian-archive-removed-keys.gpg'],
  ubuntu: ['/usr/share/keyrings/ubuntu-archive-keyring.gpg', '/usr/share/keyrings/ubuntu-archive-removed-keys.gpg'],
};

export interface TrustOptions {
  /** Added to every archive's keyrings (serve --keyring). */
  keyrings?: readonly string[];
  /** Use the distro keyrings under /usr/share/keyrings when present. @default true */
  defaultKeyrings?: boolean;
  /** Where gpgv's inputs are written. */
  tmpDir: string;
}

export class Trust {
  private readonly o: TrustOptions;
  private counter = 0;

  constructor(o: TrustOptions) {
    this.o = o;
  }

  keyringsFor(archive: string): string[] {
    const distro = archiveInfo(archive)?.distro ?? 'debian';
    const defaults = this.o.defaultKeyrings === false ? [] : (DEFAULT_KEYRINGS[distro] ?? []).filter((k) => existsSync(k));
    return [...defaults, ...(this.o.keyrings ?? [])];
  }

  /**
   * Why these bytes may not be kept as dists/SUITE/<file> of archive, or undefined when they may.
   * `signature` is Release.gpg for a Release (absent: the Release alone, without a keyring only).
   */
  async refuse(archive: string, file: 'InRelease' | 'Release', bytes: Buffer, signature?: Buffer): Promise<string | undefined> {
    const text = bytes.toString('utf8');
    if (file === 'InRelease') {
      // apt reads nothing outside the signed frame; neither do we keep anything outside it
      if (!text.startsWith('-----BEGIN PGP SIGNED MESSAGE-----\n') || !/\n-----END PGP SIGNATURE-----\n?$/.test(text)) return 'not a whole clearsigned Release';
    }
    if (!releaseHashes(text).looksComplete) return 'not a Release (no Suite or Codename, or no hashed files)';
    const keyrings = this.keyringsFor(archive);
    if (keyrings.length === 0) return undefined;
    if (file === 'Release' && !signature) return 'no Release.gpg to check it with';
    const n = ++this.counter;
    const data = join(this.o.tmpDir, `gpgv-${n}.data`);
    await writeFile(data, bytes);
    const sig = join(this.o.tmpDir, `gpgv-${n}.sig`);
    const args = ['--homedir', this.o.tmpDir, '--status-fd', '1', ...keyrings.flatMap((k) => ['--keyring', k])];
    try {
      if (signature) {
        await writeFile(sig, signature);
        args.push(sig);
      }
      args.push(data);
      return await gpgv(args);
    } finally {
      await Promise.all([rm(data, { force: true }), rm(sig, { force: true })]);
    }
  }
}

/** undefined when gpgv found a good signature by a key of the keyrings (expired since counts: old snapshots). */
function gpgv(args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('gpgv', args, { encoding: 'utf8' }, (error, stdout) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') return resolve('gpgv is not installed');
      const status = stdout.split('\n');
      const bad = status.find((l) => / (BADSIG|ERRSIG|NO_PUBKEY|REVKEYSIG) /.test(`${l} `));
      const good = status.some((l) => / (GOODSIG|EXPKEYSIG) /.test(`${l} `));
      if (!error && good && !bad) return resolve(undefined);
      resolve(bad ? `signature check failed (${bad.replace('[GNUPG:] ', '').split(' ').slice(0, 2).join(' ')})` : 'no good signature by an archive key');
    });
  });
}
