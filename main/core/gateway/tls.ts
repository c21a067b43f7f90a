// The gateway's TLS identity: a key and self-signed certificate generated on first start in the
// data dir. Agents pin the certificate's SHA-256 fingerprint instead of trusting a CA.
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import selfsigned from 'selfsigned';

export interface TlsIdentity {
  key: string;
  cert: string;
  fingerprint: string;
}

/** `sha256:` + 64 lowercase hex digits: the form agents are given and compare against. */
export function fingerprintOf(certPem: string): string {
  const hex = new X509Certificate(certPem).fingerprint256.replaceAll(':', '').toLowerCase();
  return `sha256:${hex}`;
}

export async function loadOrCreateTlsIdentity(dataDir: string, hostname: string): Promise<TlsIdentity> {
  const dir = join(dataDir, 'tls');
  const keyFile = join(dir, 'gateway.key');
  const certFile = join(dir, 'gateway.crt');
  if (existsSync(keyFile) && existsSync(certFile)) {
    const cert = readFileSync(certFile, 'utf8');
    return { key: readFileSync(keyFile, 'utf8'), cert, fingerprint: fingerprintOf(cert) };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 20);
  const pems = await selfsigned.generate([{ name: 'commonName', value: hostname || 'fleetdeck-master' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
  });
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, pems.cert, { mode: 0o644 });
  return { key: pems.private, cert: pems.cert, fingerprint: fingerprintOf(pems.cert) };
}

/**
 * Writes the identity the store says to serve (after a rotation) over the data dir's copy, so the
 * next start serves it from its first handshake. Each file is replaced atomically (temp, rename).
 */
export function saveTlsIdentity(dataDir: string, identity: TlsIdentity): void {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const replace = (name: string, text: string, mode: number) => {
    const temp = join(dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(temp, text, { mode });
    chmodSync(temp, mode);
    renameSync(temp, join(dir, name));
  };
  replace('gateway.key', identity.key, 0o600);
  replace('gateway.crt', identity.cert, 0o644);
}
