/**
 * A lock as a CycloneDX 1.6 SBOM: one component per locked file, with its purl, SHA-256 and
 * download URL, and the dependency edges the lock records. Deterministic: no serial number,
 * and a timestamp only when SOURCE_DATE_EPOCH gives one. Pure.
 */
import { VERSION } from '../version.js';
import { archiveOf } from './compare.js';
import type { Lockfile, LockedPackage } from './lockfile.js';

export interface CycloneDxOptions {
  /** metadata.timestamp, as seconds since 1970 (SOURCE_DATE_EPOCH). Absent: no timestamp. */
  sourceDateEpoch?: number | undefined;
}

export interface CycloneDxComponent {
  type: 'library';
  'bom-ref': string;
  name: string;
  version: string;
  purl: string;
  hashes: { alg: 'SHA-256'; content: string }[];
  externalReferences: { type: 'distribution'; url: string }[];
  properties: { name: string; value: string }[];
}

export interface CycloneDxBom {
  bomFormat: 'CycloneDX';
  specVersion: '1.6';
  version: 1;
  metadata: {
    timestamp?: string;
    tools: { components: { type: 'application'; name: string; version: string }[] };
    properties: { name: string; value: string }[];
  };
  components: CycloneDxComponent[];
  dependencies: { ref: string; dependsOn: string[] }[];
}

const DEBIAN_RELEASES: Record<string, string> = {
  buzz: '1.1', rex: '1.2', bo: '1.3', hamm: '2.0', slink: '2.1', potato: '2.2', woody: '3.0', sarge: '3.1', etch: '4', lenny: '5',
  squeeze: '6', wheezy: '7', jessie: '8', stretch: '9', buster: '10', bullseye: '11', bookworm: '12', trixie: '13', forky: '14', duke: '15',
};
const UBUNTU_RELEASES: Record<string, string> = {
  xenial: '16.04', bionic: '18.04', focal: '20.04', jammy: '22.04', kinetic: '22.10', lunar: '23.04', mantic: '23.10', noble: '24.04',
  oracular: '24.10', plucky: '25.04', questing: '25.10',
};

/** The purl `distro` qualifier: debian-12, ubuntu-24.04 (the codename for a release not in the tables). */
export function distroQualifier(distro: 'debian' | 'ubuntu', codename: string): string {
  return `${distro}-${(distro === 'debian' ? DEBIAN_RELEASES : UBUNTU_RELEASES)[codename] ?? codename}`;
}

/** pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12 (Debian versions need no escaping in a purl but "%"). */
export function debPurl(p: Pick<LockedPackage, 'name' | 'version' | 'architecture'>, distro: 'debian' | 'ubuntu', codename: string): string {
  return `pkg:deb/${distro}/${p.name}@${p.version.replace(/%/g, '%25')}?arch=${p.architecture}&distro=${distroQualifier(distro, codename)}`;
}

export function toCycloneDx(lock: Lockfile, o: CycloneDxOptions = {}): CycloneDxBom {
  const { distro, codename } = lock.request;
  const ref = (p: LockedPackage): string => debPurl(p, distro, codename);
  // a dependency names a package; with several architectures of it locked, the one of the
  // same architecture, else "all", else the first
  const byName = new Map<string, LockedPackage[]>();
  for (const p of lock.packages) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const target = (name: string, arch: string): LockedPackage | undefined => {
    const all = byName.get(name) ?? [];
    return all.find((p) => p.architecture === arch) ?? all.find((p) => p.architecture === 'all') ?? all[0];
  };
  const metadata: CycloneDxBom['metadata'] = {
    ...(o.sourceDateEpoch !== undefined ? { timestamp: new Date(o.sourceDateEpoch * 1000).toISOString().replace(/\.000Z$/, 'Z') } : {}),
    tools: { components: [{ type: 'application', name: 'repro-sources', version: VERSION }] },
    properties: [
      { name: 'repro-sources:request:packages', value: lock.request.packages.join(' ') },
      { name: 'repro-sources:request:time', value: lock.request.time },
      ...lock.request.archives
        .filter((a, i, all) => all.findIndex((b) => b.name === a.name) === i)
        .map((a) => ({ name: `repro-sources:snapshot:${a.name}`, value: a.snapshot })),
    ],
  };
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata,
    components: lock.packages.map((p) => ({
      type: 'library',
      'bom-ref': ref(p),
      name: p.name,
      version: p.version,
      purl: ref(p),
      hashes: [{ alg: 'SHA-256', content: p.sha256 }],
      externalReferences: [{ type: 'distribution', url: p.url }],
      properties: [
        { name: 'repro-sources:source', value: p.source },
        { name: 'repro-sources:archive', value: archiveOf(lock, p) },
        { name: 'repro-sources:size', value: String(p.size) },
      ],
    })),
    dependencies: lock.packages.map((p) => ({
      ref: ref(p),
      dependsOn: [...new Set(p.depends.map((d) => target(d, p.architecture)).filter((x): x is LockedPackage => x !== undefined).map(ref))].sort(),
    })),
  };
}

export function serializeCycloneDx(bom: CycloneDxBom): string {
  return `${JSON.stringify(bom, null, 2)}\n`;
}
