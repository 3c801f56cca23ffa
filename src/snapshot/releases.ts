/**
 * Release names repro-sources knows: Debian's codenames (the announced future ones included:
 * forky, duke), its suite aliases, and Ubuntu's releases since snapshot.ubuntu.com began. `generate`
 * refuses a name outside these; classify accepts unknown codenames on archive paths (a release
 * newer than this table). Pure data.
 */

export const DEBIAN_RELEASE_CODENAMES: readonly string[] = [
  'buzz', 'rex', 'bo', 'hamm', 'slink', 'potato', 'woody', 'sarge', 'etch', 'lenny', 'squeeze', 'wheezy', 'jessie', 'stretch',
  'buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'duke',
];
export const DEBIAN_SUITE_ALIASES: readonly string[] = ['oldoldstable', 'oldstable', 'stable', 'testing', 'unstable', 'sid', 'experimental', 'rc-buggy'];

/** Debian version number (major) -> codename. */
export const DEBIAN_VERSIONS: Readonly<Record<string, string>> = {
  '7': 'wheezy', '8': 'jessie', '9': 'stretch', '10': 'buster', '11': 'bullseye', '12': 'bookworm', '13': 'trixie', '14': 'forky', '15': 'duke',
};

/** Ubuntu releases snapshot.ubuntu.com (from 2023-03-01) can serve, by version. */
export const UBUNTU_VERSIONS: Readonly<Record<string, string>> = {
  '14.04': 'trusty', '16.04': 'xenial', '18.04': 'bionic', '20.04': 'focal', '22.04': 'jammy', '22.10': 'kinetic', '23.04': 'lunar',
  '23.10': 'mantic', '24.04': 'noble', '24.10': 'oracular', '25.04': 'plucky', '25.10': 'questing', '26.04': 'resolute',
};
export const UBUNTU_RELEASE_CODENAMES: readonly string[] = Object.values(UBUNTU_VERSIONS);

/** Ubuntu releases retired before snapshot.ubuntu.com's first snapshot. */
export const UBUNTU_RETIRED_BEFORE_SNAPSHOTS: ReadonlySet<string> = new Set([
  'warty', 'hoary', 'breezy', 'dapper', 'edgy', 'feisty', 'gutsy', 'hardy', 'intrepid', 'jaunty', 'karmic', 'lucid', 'maverick',
  'natty', 'oneiric', 'precise', 'quantal', 'raring', 'saucy', 'utopic', 'vivid', 'wily', 'yakkety', 'zesty', 'artful', 'cosmic',
  'disco', 'eoan', 'groovy', 'hirsute', 'impish',
]);

/** Ubuntu releases whose apt (before 2.7) has no snapshot support. */
export const UBUNTU_WITHOUT_NATIVE_SNAPSHOTS: ReadonlySet<string> = new Set([
  ...UBUNTU_RETIRED_BEFORE_SNAPSHOTS, 'trusty', 'xenial', 'bionic', 'focal', 'jammy', 'kinetic', 'lunar',
]);
