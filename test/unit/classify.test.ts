import { describe, expect, it } from 'vitest';
import { classifyEntry } from '../../src/rewrite/classify.js';

const c = (uri: string, suite: string, components: string[] = ['main']) => {
  const r = classifyEntry({ uri, suite, components });
  if (r.kind === 'archive') return `${r.kind} ${r.archive}${r.subdir ? ` ${r.subdir}` : ''}${r.transport ? ` ${r.transport}` : ''}`;
  if (r.kind === 'snapshot') return `${r.kind} ${r.archive} ${r.base} ${r.id}${r.subdir ? ` ${r.subdir}` : ''}`;
  return r.kind;
};

describe('classifyEntry: by path, suite and components, not by host', () => {
  it.each([
    ['http://ftp.us.debian.org/debian/', 'bookworm', ['main'], 'archive debian'],
    ['https://mirrors.tuna.tsinghua.edu.cn/debian', 'bookworm-updates', ['main', 'contrib'], 'archive debian'],
    ['http://debian.ens-cachan.fr/ftp/debian/', 'testing', ['main'], 'archive debian'],
    ['http://cloudfront.debian.net/debian', 'sid', ['main', 'non-free-firmware'], 'archive debian'],
    ['http://ftp.de.debian.org/debian', 'experimental', ['main'], 'archive debian'],
    ['http://ftp.de.debian.org/debian', 'rc-buggy', ['main'], 'archive debian'],
    ['http://ftp.de.debian.org/debian', 'bookworm-backports', ['main'], 'archive debian'],
    ['http://ftp.de.debian.org/debian', 'bookworm-proposed-updates', ['main'], 'archive debian'],
    ['http://ftp.de.debian.org/debian', 'oldstable', ['main'], 'archive debian'],
    ['http://security.debian.org/debian-security', 'bookworm-security', ['main'], 'archive debian-security'],
    ['http://security.debian.org/debian-security', 'buster/updates', ['main'], 'archive debian-security'],
    ['http://security.debian.org/', 'jessie/updates', ['main', 'contrib'], 'archive debian-security'],
    ['http://backports.debian.org/debian-backports', 'squeeze-backports', ['main'], 'archive debian-backports'],
    ['http://archive.debian.org/debian', 'stretch', ['main'], 'archive debian-archive debian/'],
    ['http://archive.debian.org//debian-security', 'stretch/updates', ['main'], 'archive debian-archive debian-security/'],
    ['http://archive.debian.org/debian-archive/debian', 'wheezy', ['main'], 'archive debian-archive debian/'],
    ['http://ftp.ports.debian.org/debian-ports', 'sid', ['main'], 'archive debian-ports'],
    ['http://debug.mirrors.debian.org/debian-debug', 'bookworm-debug', ['main'], 'archive debian-debug'],
    ['tor+https://ftp.de.debian.org/debian', 'trixie', ['main'], 'archive debian tor+'],
    ['tor+http://2s4yqjx5ul6okpp3f2gaunr2syex5jgbfpfvhxxbbjwnrsvbk5v3qbid.onion/debian-security', 'trixie-security', ['main'], 'archive debian-security tor+'],
    ['http://archive.ubuntu.com/ubuntu/', 'noble', ['main', 'universe'], 'archive ubuntu'],
    ['http://security.ubuntu.com/ubuntu', 'jammy-security', ['main'], 'archive ubuntu'],
    ['http://nova.clouds.archive.ubuntu.com/ubuntu/', 'jammy-updates', ['main', 'restricted'], 'archive ubuntu'],
    ['https://mirror.example.org/pub/ubuntu', 'focal-proposed', ['multiverse'], 'archive ubuntu'],
    ['http://ports.ubuntu.com/ubuntu-ports/', 'noble-security', ['main'], 'archive ubuntu-ports'],
    ['http://mirrors.tuna.tsinghua.edu.cn/ubuntu/', 'xenial', ['main'], 'archive ubuntu'],
    ['http://us.archive.ubuntu.com/ubuntu/', 'hirsute', ['main'], 'unsupported'],
    ['http://old-releases.ubuntu.com/ubuntu/', 'impish-updates', ['main'], 'unsupported'],
    ['http://snapshot.debian.org/archive/debian/20241202T000000Z', 'bookworm', ['main'], 'snapshot debian http://snapshot.debian.org/archive/ 20241202T000000Z'],
    ['https://snapshot.ubuntu.com/ubuntu/20240301T000000Z/', 'noble', ['main'], 'snapshot ubuntu https://snapshot.ubuntu.com/ 20240301T000000Z'],
    ['http://127.0.0.1:3142/debian-archive/20240101T000000Z/debian/', 'stretch', ['main'], 'snapshot debian-archive http://127.0.0.1:3142/ 20240101T000000Z debian/'],
    // a codename newer than the table (or a typo) on a Debian path with Debian's components: Debian, so probe can name what is missing
    ['http://ftp.de.debian.org/debian', 'nosuch', ['main'], 'archive debian'],
    ['http://ftp.de.debian.org/debian', 'nosuch-updates', ['main', 'contrib'], 'archive debian'],
    ['http://security.debian.org/debian-security', 'nosuch-security', ['main'], 'archive debian-security'],
    // look-alikes
    ['http://repo.example.org/apt/debian', 'bookworm/mongodb-org/7.0', ['main'], 'foreign'],
    ['http://repo.example.org/debian', 'nosuch', ['stable'], 'foreign'],
    ['http://repo.example.org/debian', 'Release-2', ['main'], 'foreign'],
    ['https://download.docker.com/linux/debian', 'bookworm', ['stable'], 'foreign'],
    ['https://mirrors.ustc.edu.cn/docker-ce/linux/ubuntu', 'focal', ['stable'], 'foreign'],
    ['http://ppa.launchpadcontent.net/deadsnakes/ppa/ubuntu', 'jammy', ['main'], 'foreign'],
    ['http://ppa.launchpad.net/graphics-drivers/ppa/ubuntu', 'noble', ['main'], 'foreign'],
    ['http://www.deb-multimedia.org', 'squeeze', ['main', 'non-free'], 'foreign'],
    ['http://http.kali.org/kali', 'kali-rolling', ['main'], 'foreign'],
    ['https://deb.nodesource.com/node_20.x', 'nodistro', ['main'], 'foreign'],
    ['https://packages.microsoft.com/debian/12/prod', 'bookworm', ['main'], 'foreign'],
    ['https://fasttrack.debian.net/debian-fasttrack', 'trixie-fasttrack', ['main'], 'foreign'],
    ['mirror+file:///etc/apt/mirrors/debian.list', 'stable', ['main'], 'foreign'],
    ['file:/srv/repo', './', [], 'foreign'],
    ['cdrom:[Debian GNU/Linux 12]/', 'bookworm', ['main'], 'foreign'],
  ])('%s %s %j -> %s', (uri, suite, components, expected) => {
    expect(c(uri, suite, components)).toBe(expected);
  });
});
