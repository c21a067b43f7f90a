// Before the cluster key, the desktop app sealed saved secrets with Electron's safeStorage (the OS
// keychain / DPAPI / libsecret) in the data dir; it now opens them once, to import them into the
// store (core/bootstrap/legacy-import.ts). Takes safeStorage's shape instead of importing electron,
// so tests use a fake.
import type { SecretBox } from '../core/secrets/secret-box.js';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** null when the OS offers no encryption: the old secrets were then sealed by the data dir's key file. */
export function safeStorageBox(storage: SafeStorageLike): SecretBox | null {
  if (!storage.isEncryptionAvailable()) return null;
  return {
    seal: (plaintext) => storage.encryptString(plaintext).toString('base64'),
    open: (sealed) => storage.decryptString(Buffer.from(sealed, 'base64')),
  };
}
