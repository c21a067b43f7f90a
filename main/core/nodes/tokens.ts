// Agent tokens: 32 random bytes, shown once, stored only as a SHA-256 hash. A high-entropy
// random secret needs no slow KDF; the hash only has to make the stored value useless to a reader.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_PREFIX = 'fdk_';

export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Cheap shape check before any database lookup, so junk never reaches the store. */
export function looksLikeToken(token: string): boolean {
  return /^fdk_[A-Za-z0-9_-]{43}$/.test(token);
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
