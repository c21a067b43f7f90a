// Sealing secrets at rest with the cluster key (secrets/cluster-key.ts says where it comes from):
// AES-256-GCM, a random 96-bit IV per secret, and the record the secret belongs to as additional
// authenticated data, so a sealed value copied into another row does not open. Sealed text names the
// key it was sealed with (`fdk1.<key id>.<base64 iv|tag|ciphertext>`), so a secret sealed before a
// rotation still opens while the previous key is in the key file.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { FleetError } from '../../contract/errors.js';

export const KEY_BYTES = 32;
const SEALED = /^fdk1\.([0-9a-f]{16})\.([A-Za-z0-9+/=]+)$/;

/** A key's public name (16 hex digits): one-way, so it can be logged and stored. */
export function keyIdOf(key: Buffer): string {
  return createHmac('sha256', key).update('fleetdeck cluster key id').digest('hex').slice(0, 16);
}

/** What the database stores to tell whether an instance holds the cluster's key (never the key). */
export function checkValueOf(key: Buffer): string {
  return createHmac('sha256', key).update('fleetdeck cluster key check').digest('hex');
}

/** The key id a sealed value names, or null when it is not in this format. */
export function sealedKeyId(sealed: string): string | null {
  return SEALED.exec(sealed)?.[1] ?? null;
}

/** The keys an instance holds, by id; seals with the one the caller names, opens with whichever fits. */
export class KeyRing {
  private readonly keys = new Map<string, Buffer>();

  constructor(keys: readonly Buffer[]) {
    for (const key of keys) this.keys.set(keyIdOf(key), key);
  }

  get ids(): string[] {
    return [...this.keys.keys()];
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** `context` names the record (e.g. `ssh-credential:<id>`); opening needs the same. */
  seal(keyId: string, plaintext: string, context: string): string {
    const key = this.keys.get(keyId);
    if (!key) throw new FleetError('internal', `Cluster key ${keyId} is not in this instance's key ring.`);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `fdk1.${keyId}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** The plaintext; `null` when the key it names is not held here (the caller says what to do). */
  open(sealed: string, context: string): string | null {
    const match = SEALED.exec(sealed);
    if (!match) throw new FleetError('internal', 'A stored secret is not in the sealed format (fdk1.…).');
    const key = this.keys.get(match[1] as string);
    if (!key) return null;
    const raw = Buffer.from(match[2] as string, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new FleetError('internal', `A stored secret (${context}) does not open with its key: it was altered.`);
    }
  }
}

/**
 * How an older FleetDeck sealed the secrets it kept in the data directory (`secret.key` headless,
 * Electron's safeStorage in the desktop app). Only read now, to import them into the store once.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** The data-dir key file of FleetDeck before the cluster key (AES-256-GCM, no key id); read-only. */
export class FileKeySecretBox implements SecretBox {
  private readonly key: Buffer;

  constructor(keyFile: string) {
    this.key = readFileSync(keyFile);
    if (this.key.length !== KEY_BYTES)
      throw new FleetError('internal', `The secret key file ${keyFile} is damaged (expected 32 bytes).`);
  }

  static ifPresent(keyFile: string): FileKeySecretBox | null {
    return existsSync(keyFile) ? new FileKeySecretBox(keyFile) : null;
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    try {
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      throw new FleetError('internal', 'A saved secret cannot be decrypted (the key file changed?).');
    }
  }
}
