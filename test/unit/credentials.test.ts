// Saved SSH credentials are sealed at rest, listed without secrets, and read back only by id; the
// desktop's safeStorage adapter is driven with a fake (no Electron here).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../main/core/bootstrap/credentials.js';
import { FileKeySecretBox } from '../../main/core/bootstrap/secret-box.js';
import { safeStorageBox } from '../../main/electron/safe-storage-box.js';
import { tempDir } from '../helpers/processes.js';

describe('saved SSH credentials', () => {
  it('never writes a secret in clear and never lists one', () => {
    const dir = tempDir();
    const store = new CredentialStore(join(dir, 'creds.json'), new FileKeySecretBox(join(dir, 'secret.key')));
    const saved = store.save('prod root', { password: 'hunter2-very-secret' });
    expect(saved).toEqual({
      id: expect.any(String),
      name: 'prod root',
      kind: 'password',
      createdAt: expect.any(Number),
    });
    expect(readFileSync(join(dir, 'creds.json'), 'utf8')).not.toContain('hunter2');
    expect(JSON.stringify(store.list())).not.toContain('hunter2');
    expect(store.get(saved.id)).toEqual({ password: 'hunter2-very-secret' });
    expect(readFileSync(join(dir, 'secret.key')).length).toBe(32);
    store.remove(saved.id);
    expect(() => store.get(saved.id)).toThrow(/No saved SSH credential/);
  });

  it('a different key cannot open them', () => {
    const dir = tempDir();
    const store = new CredentialStore(join(dir, 'creds.json'), new FileKeySecretBox(join(dir, 'secret.key')));
    const saved = store.save('k', { privateKey: 'KEY' });
    const other = new CredentialStore(join(dir, 'creds.json'), new FileKeySecretBox(join(tempDir(), 'other.key')));
    expect(() => other.get(saved.id)).toThrow(/cannot be decrypted/);
  });

  it('the desktop seals with safeStorage when the OS offers it, and falls back when not', () => {
    const fake = {
      isEncryptionAvailable: () => true,
      encryptString: (t: string) => Buffer.from([...Buffer.from(t)].map((b) => b ^ 0x5a)),
      decryptString: (b: Buffer) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    };
    const box = safeStorageBox(fake);
    const sealed = box?.seal('secret') as string;
    expect(sealed).not.toContain('secret');
    expect(box?.open(sealed)).toBe('secret');
    expect(safeStorageBox({ ...fake, isEncryptionAvailable: () => false })).toBeNull();
  });
});
