// Secrets at rest for the headless master: AES-256-GCM with a random key in the data dir that only
// the master's user can read. (The desktop shell can pass an implementation backed by Electron's
// safeStorage instead; both satisfy SecretBox.)
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { FleetError } from '../../contract/errors.js';

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

export class FileKeySecretBox implements SecretBox {
  private readonly key: Buffer;

  constructor(keyFile: string) {
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600, flag: 'wx' });
    this.key = readFileSync(keyFile);
    if (this.key.length !== 32)
      throw new FleetError('internal', `The secret key file ${keyFile} is damaged (expected 32 bytes).`);
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
