// TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s steps, ±1 step of clock drift) through the
// `otpauth` library; the QR code of the otpauth:// URL through `qrcode`. A code is accepted at most
// once (the last step used is stored), and recovery codes are 10 random codes, SHA-256 hashed, each
// single use.
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';
import { hashToken } from '../nodes/tokens.js';

const PERIOD_SEC = 30;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpFor(secret: string, name: string): TOTP {
  return new TOTP({
    issuer: 'FleetDeck',
    label: name,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_SEC,
    secret: Secret.fromBase32(secret),
  });
}

export function otpauthUrl(secret: string, name: string): string {
  return totpFor(secret, name).toString();
}

export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
}

/** The time step a code is valid for (within ±1 of now), or null. */
export function totpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(secret, 'x').validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_SEC) + delta;
}

/** The current code (tests and the enrollment preview). */
export function totpCode(secret: string, now = Date.now()): string {
  return totpFor(secret, 'x').generate({ timestamp: now });
}

/** Ten codes like "k3f9-2mqa-8x7p" (about 60 bits each). */
export function newRecoveryCodes(): string[] {
  // 32 letters and digits (no l, o, 0, 1), so each byte's low 5 bits pick one without bias.
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  return Array.from({ length: 10 }, () => {
    const bytes = randomBytes(12);
    const chars = [...bytes].map((b) => alphabet[b & 31]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`;
  });
}

export function normalizeRecoveryCode(code: string): string {
  return code.trim().toLowerCase().replace(/\s+/g, '');
}

export const hashRecoveryCode = (code: string) => hashToken(`recovery:${normalizeRecoveryCode(code)}`);
