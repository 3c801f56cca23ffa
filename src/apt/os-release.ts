/** os-release(5): KEY=value lines, values optionally quoted with shell-style escapes. Pure. */

export type OsRelease = Record<string, string>;

export function parseOsRelease(text: string): OsRelease {
  const out: OsRelease = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    out[m[1]!] = unquote(m[2]!);
  }
  return out;
}

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.endsWith(q) && v.length >= 2) {
    const inner = v.slice(1, -1);
    return q === '"' ? inner.replace(/\\(["\\`$])/g, '$1') : inner;
  }
  return v;
}

export interface DistroRelease {
  distro: 'debian' | 'ubuntu' | undefined;
  /** VERSION_CODENAME, or the codename found in VERSION ("12 (bookworm)"). */
  codename: string | undefined;
  versionId: string | undefined;
}

/** Which of the two distros this is (ID, then ID_LIKE), and its codename. */
export function distroOf(os: OsRelease): DistroRelease {
  const ids = [os.ID, ...(os.ID_LIKE ?? '').split(/\s+/)].filter(Boolean).map((s) => s!.toLowerCase());
  const distro = ids.includes('ubuntu') ? 'ubuntu' : ids.includes('debian') ? 'debian' : undefined;
  let codename = os.VERSION_CODENAME || (distro === 'ubuntu' ? os.UBUNTU_CODENAME : undefined);
  if (!codename && os.VERSION) codename = /\(([a-z]+)\)/.exec(os.VERSION)?.[1] ?? /,\s*([A-Za-z]+)/.exec(os.VERSION)?.[1]?.toLowerCase();
  return { distro, codename: codename || undefined, versionId: os.VERSION_ID || undefined };
}
