/** Node's process.arch in dpkg's names; what apt on this machine calls its native architecture. */
const DPKG_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: 'i386',
  arm64: 'arm64',
  arm: 'armhf',
  ppc64: 'ppc64el',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips64el: 'mips64el',
};

export function dpkgArchOf(nodeArch: string = process.arch): string {
  return DPKG_ARCH[nodeArch] ?? nodeArch;
}
