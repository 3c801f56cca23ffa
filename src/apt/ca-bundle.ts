/**
 * HTTPS for apt in images without ca-certificates, without turning verification off: Node's
 * built-in Mozilla roots (tls.rootCertificates) as a PEM bundle, and the apt option that
 * points at it.
 */
export const CA_BUNDLE_PATH = '/etc/apt/repro-sources-ca.pem';
export const CA_CONF_PATH = '/etc/apt/apt.conf.d/50repro-sources-ca';
/** Where Debian's ca-certificates keeps the system bundle; when present, apt needs nothing from us. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Loads node:tls only when a bundle is written: it is costly to load and most runs need none. */
export async function caBundlePem(): Promise<string> {
  const { rootCertificates } = await import('node:tls');
  return `${rootCertificates.join('\n')}\n`;
}

export function caConf(bundlePath: string = CA_BUNDLE_PATH): string {
  return [
    '// Written by repro-sources: verify HTTPS snapshot servers with Node\'s root certificates',
    '// until the image has ca-certificates. Peer verification stays on.',
    `Acquire::https::CaInfo "${bundlePath}";`,
    '',
  ].join('\n');
}
