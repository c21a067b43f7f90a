// Saved SSH credentials live in the store, sealed with the cluster key: never in clear in the database,
// never listed back, opened only with the key; a credentials file an older FleetDeck sealed with
// secret.key is imported once. The desktop's safeStorage adapter (which sealed the old files there)
// is driven with a fake (no Electron here). On SQLite and, when present, MariaDB.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../main/core/bootstrap/credentials.js';
import { silentLogger } from '../../main/core/log.js';
import { ClusterKey } from '../../main/core/secrets/cluster-key.js';
import { FileKeySecretBox } from '../../main/core/secrets/secret-box.js';
import type { Store } from '../../main/core/store/store.js';
import { safeStorageBox } from '../../main/electron/safe-storage-box.js';
import { storeTargets } from '../helpers/databases.js';
import { tempDir } from '../helpers/processes.js';

const keyFor = (store: Store, file: string) =>
  ClusterKey.load({ db: store.db, dialect: store.dialect, file, mayCreate: true, log: silentLogger });

describe.each(storeTargets())('saved SSH credentials ($name)', (target) => {
  it('are sealed in the store, never in clear and never listed; only the cluster key opens them', async () => {
    const { store, cleanup } = await target.open();
    try {
      const dir = tempDir();
      const credentials = new CredentialStore(store.db, await keyFor(store, join(dir, 'cluster.key')));
      const saved = await credentials.save('prod root', { password: 'hunter2-very-secret' });
      expect(saved).toEqual({
        id: expect.any(String),
        name: 'prod root',
        kind: 'password',
        createdAt: expect.any(Number),
      });
      const rows = await store.db.selectFrom('ssh_credentials').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain('hunter2');
      expect(rows[0]?.sealed).toMatch(/^fdk1\.[0-9a-f]{16}\./);
      expect(JSON.stringify(await credentials.list())).not.toContain('hunter2');
      expect(await credentials.get(saved.id)).toEqual({ password: 'hunter2-very-secret' });

      // A second instance with the same key file (another host's copy) opens it.
      const copy = join(tempDir(), 'cluster.key');
      writeFileSync(copy, readFileSync(join(dir, 'cluster.key')), { mode: 0o600 });
      const elsewhere = new CredentialStore(store.db, await keyFor(store, copy));
      expect(await elsewhere.get(saved.id)).toEqual({ password: 'hunter2-very-secret' });

      // A sealed value moved to another row does not open there (the row is part of the seal).
      const other = await credentials.save('other', { password: 'x' });
      await store.db
        .updateTable('ssh_credentials')
        .set({ sealed: rows[0]?.sealed as string })
        .where('id', '=', other.id)
        .execute();
      await expect(credentials.get(other.id)).rejects.toThrow(/does not open with its key: it was altered/);

      await credentials.remove(saved.id);
      await expect(credentials.get(saved.id)).rejects.toThrow(/No saved SSH credential/);
    } finally {
      await cleanup();
    }
  });

  it('imports the credentials file of an older FleetDeck (sealed by secret.key) once, keeping ids', async () => {
    const { store, cleanup } = await target.open();
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'secret.key'), Buffer.alloc(32, 7), { mode: 0o600 });
      const legacy = new FileKeySecretBox(join(dir, 'secret.key'));
      const file = join(dir, 'ssh-credentials.json');
      const old = [
        {
          id: 'c-1',
          name: 'old key',
          kind: 'key',
          createdAt: 1_700_000_000_000,
          sealed: legacy.seal(JSON.stringify({ privateKey: 'PEM' })),
        },
      ];
      writeFileSync(file, JSON.stringify(old));
      const credentials = new CredentialStore(store.db, await keyFor(store, join(dir, 'cluster.key')));
      expect(await credentials.importFile(file, legacy)).toBe(1);
      expect(await credentials.importFile(file, legacy)).toBe(0);
      expect(await credentials.list()).toEqual([
        { id: 'c-1', name: 'old key', kind: 'key', createdAt: 1_700_000_000_000 },
      ]);
      expect(await credentials.get('c-1')).toEqual({ privateKey: 'PEM' });
      expect(existsSync(file)).toBe(true);
    } finally {
      await cleanup();
    }
  });
});

describe('the desktop safeStorage adapter', () => {
  it('opens what safeStorage sealed when the OS offers it, and is absent when not', () => {
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
