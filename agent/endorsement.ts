// The fallback for an agent that missed a certificate rotation (it was offline while the master
// announced the next certificate). Its pins no longer match what the gateway serves, so before it
// sends anything secret it fetches the gateway's endorsement chain: every certificate the gateway
// served, each signed by the key of the one before it. It accepts the served certificate only if a
// chain of valid signatures leads from a certificate it pins to that very certificate; then it pins
// the served one instead and redials. Nothing here is trusted for being served: an impostor without
// a pinned key cannot make a signature that verifies, and one who replays a real chain still needs the
// served certificate's private key to finish the TLS handshake it is compared against.
import { verify, X509Certificate } from 'node:crypto';
import https from 'node:https';
import { ENDORSEMENTS_PATH, type EndorsementChain, endorsementText, EndorsementChain as Schema } from './protocol.js';

const MAX_BODY_BYTES = 64 * 1024;
const TIMEOUT_MS = 5_000;

export const fingerprintOfPem = (pem: string) =>
  `sha256:${new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase()}`;

/** Whether the chain leads by valid signatures from one of `pins` to `served`. */
export function endorses(chain: EndorsementChain, pins: readonly string[], served: string): boolean {
  const byFingerprint = new Map<
    string,
    { cert: X509Certificate; endorsedBy: string | null; endorsement: string | null }
  >();
  for (const entry of chain.certificates) {
    try {
      const cert = new X509Certificate(entry.certPem);
      byFingerprint.set(fingerprintOfPem(entry.certPem), {
        cert,
        endorsedBy: entry.endorsedBy,
        endorsement: entry.endorsement,
      });
    } catch {
      // An unreadable entry proves nothing.
    }
  }
  // Walk back from the served certificate; every step must verify under its predecessor's key.
  let at = served;
  for (let steps = 0; steps <= chain.certificates.length; steps += 1) {
    if (pins.includes(at)) return true;
    const entry = byFingerprint.get(at);
    if (!entry?.endorsedBy || !entry.endorsement) return false;
    const signer = byFingerprint.get(entry.endorsedBy);
    if (!signer) return false;
    const ok = verify(
      'sha256',
      Buffer.from(endorsementText(at)),
      signer.cert.publicKey,
      Buffer.from(entry.endorsement, 'base64'),
    );
    if (!ok) return false;
    at = entry.endorsedBy;
  }
  return false;
}

/** GET the endorsement chain from a gateway (certificate not checked: the chain is checked instead). */
export function fetchEndorsements(masterUrl: string): Promise<EndorsementChain> {
  const url = new URL(ENDORSEMENTS_PATH, masterUrl.replace(/^wss:/, 'https:'));
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`the master answered ${res.statusCode} for its endorsement chain`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) req.destroy(new Error('endorsement chain too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        try {
          resolve(Schema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        } catch {
          reject(new Error('the endorsement chain is not valid'));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('the endorsement chain did not arrive in time')));
    req.on('error', reject);
  });
}
