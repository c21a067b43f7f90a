// The desktop app seals saved secrets with Electron's safeStorage (the OS keychain / DPAPI /
// libsecret). Takes safeStorage's shape instead of importing electron, so tests use a fake.
import type { SecretBox } from '../core/bootstrap/secret-box.js';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** null when the OS offers no encryption: the master then falls back to its key file. */
export function safeStorageBox(storage: SafeStorageLike): SecretBox | null {
  if (!storage.isEncryptionAvailable()) return null;
  return {
    seal: (plaintext) => storage.encryptString(plaintext).toString('base64'),
    open: (sealed) => storage.decryptString(Buffer.from(sealed, 'base64')),
  };
}
