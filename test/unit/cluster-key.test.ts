// The cluster key: created once (0600, in the data dir), agreed on through a check value in the
// database (never the key), refused with a clear message when an instance holds another key, picked
// up without a restart when its file is copied in, and rotated with every sealed value re-sealed in
// one transaction while the previous key stays accepted. On SQLite and, when present, MariaDB.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CredentialStore } from '../../main/core/bootstrap/credentials.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import { ProbeDefinitions } from '../../main/core/probes/definitions.js';
import { ClusterKey } from '../../main/core/secrets/cluster-key.js';
import { generateKey, readKeyFile, writeKeyFile } from '../../main/core/secrets/key-file.js';
import { rotateClusterKey } from '../../main/core/secrets/rotation.js';
import { tunnelContext } from '../../main/core/secrets/sealed-values.js';
import { KeyRing, keyIdOf } from '../../main/core/secrets/secret-box.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';
import { tempDir } from '../helpers/processes.js';

const load = (store: Store, file: string, mayCreate = true) =>
  ClusterKey.load({ db: store.db, dialect: store.dialect, file, mayCreate, log: silentLogger });

describe.each(storeTargets())('the cluster key ($name)', (target) => {
  it('is created once, 0600, and the database holds only its id and check value', async () => {
    const { store, cleanup } = await target.open();
    try {
      const file = join(tempDir(), 'cluster.key');
      const key = await load(store, file);
      expect(key.ready).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const [stored] = readKeyFile(file);
      expect(key.keyId).toBe(keyIdOf(stored as Buffer));
      const row = await store.db.selectFrom('cluster_key').selectAll().executeTakeFirstOrThrow();
      expect(JSON.stringify(row)).not.toContain((stored as Buffer).toString('base64'));
      expect(JSON.stringify(row)).not.toContain((stored as Buffer).toString('hex'));
      // Started again with the same file: the same key, nothing created.
      const again = await load(store, file);
      expect(again.keyId).toBe(key.keyId);
      expect(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => /^[A-Za-z0-9+/]{43}=$/.test(l)),
      ).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });

  it('refuses an instance whose key file holds another key, saying what to copy where', async () => {
    const { store, cleanup } = await target.open();
    try {
      const first = await load(store, join(tempDir(), 'cluster.key'));
      const wrong = join(tempDir(), 'cluster.key');
      writeKeyFile(wrong, [generateKey()]);
      await expect(load(store, wrong)).rejects.toThrow(
        new RegExp(
          `holds key ${keyIdOf(readKeyFile(wrong)[0] as Buffer)}, but this database's secrets are sealed with cluster key ${first.keyId}.*copy the key file from an instance of the cluster to ${wrong}`,
        ),
      );
    } finally {
      await cleanup();
    }
  });

  it('without its key file an instance starts, refuses secrets clearly, and picks the file up when copied in', async () => {
    const { store, cleanup } = await target.open();
    try {
      const firstFile = join(tempDir(), 'cluster.key');
      const first = await load(store, firstFile);
      const saved = await new CredentialStore(store.db, first).save('k', { password: 'p' });
      const laterFile = join(tempDir(), 'cluster.key');
      const later = await load(store, laterFile);
      expect(later.ready).toBe(false);
      expect(existsSync(laterFile)).toBe(false);
      const credentials = new CredentialStore(store.db, later);
      await expect(credentials.get(saved.id)).rejects.toThrow(
        `Copy the cluster key file of an instance of the cluster to ${laterFile} on this host`,
      );
      await expect(credentials.save('n', { password: 'q' })).rejects.toThrow(/cannot seal or open saved SSH secrets/);
      writeFileSync(laterFile, readFileSync(firstFile), { mode: 0o600 });
      await later.refresh();
      expect(later.ready).toBe(true);
      expect(await credentials.get(saved.id)).toEqual({ password: 'p' });
    } finally {
      await cleanup();
    }
  });

  it('two first instances at once agree on one key; the loser drops the key it generated', async () => {
    const { store, cleanup } = await target.open();
    try {
      const [a, b] = [join(tempDir(), 'cluster.key'), join(tempDir(), 'cluster.key')];
      const [ka, kb] = await Promise.all([load(store, a), load(store, b)]);
      expect([ka.ready, kb.ready].sort()).toEqual([false, true]);
      expect([existsSync(a), existsSync(b)].sort()).toEqual([false, true]);
      expect(ka.keyId).toBe(kb.keyId);
    } finally {
      await cleanup();
    }
  });

  it('rotates: every sealed value re-sealed with a new key in one go, the previous key still accepted', async () => {
    const { store, cleanup } = await target.open();
    try {
      const file = join(tempDir(), 'cluster.key');
      const key = await load(store, file);
      const before = key.keyId as string;
      // Another host's copy of the file, taken before the rotation.
      const stale = join(tempDir(), 'cluster.key');
      writeFileSync(stale, readFileSync(file), { mode: 0o600 });
      const elsewhere = await load(store, stale);
      const credentials = new CredentialStore(store.db, key);
      const saved = await Promise.all([1, 2, 3].map((i) => credentials.save(`c${i}`, { password: `secret-${i}` })));
      const { node } = await new NodeRegistry(store.db, new EventBus()).create({ name: 'behind-nat' });
      const sealedAuth = await store.db
        .transaction()
        .execute((trx) => key.seal(trx, JSON.stringify({ password: 'tunnel' }), tunnelContext(node.id)));
      await store.db
        .insertInto('ssh_tunnels')
        .values({
          node_id: node.id,
          target: '{}',
          remote_port: 17443,
          sealed_auth: sealedAuth,
          revision: 1,
          holder: null,
          status_revision: null,
          up: 0,
          last_error: null,
          created_at: 1,
          updated_at: 1,
        })
        .execute();
      // An HTTP probe's header values (probes.headers_sealed).
      const probes = new ProbeDefinitions(store.db, Date.now, key);
      const probe = await probes.create({
        name: 'api',
        enabled: true,
        target: {
          kind: 'http',
          url: 'https://api.example.com/health',
          method: 'GET',
          headers: [{ name: 'Authorization', value: 'Bearer probe-secret' }],
          expectStatus: [],
          invert: false,
          followRedirects: true,
          ignoreTlsErrors: false,
        },
        intervalSec: 60,
        timeoutMs: 10_000,
        vantage: { master: true, nodeIds: [] },
        quorum: 1,
        forSec: 0,
      });

      const result = await rotateClusterKey(store.db, store.dialect, file);
      expect(result).toMatchObject({ previousKeyId: before, resealed: 5, file });
      const keys = readKeyFile(file);
      expect(keys.map(keyIdOf)).toEqual([result.keyId, before]);
      const credentialRows = await store.db.selectFrom('ssh_credentials').select('sealed').execute();
      const tunnelRows = await store.db.selectFrom('ssh_tunnels').select('sealed_auth').execute();
      const probeRows = await store.db.selectFrom('probes').select('headers_sealed').execute();
      for (const sealed of [
        ...credentialRows.map((r) => r.sealed),
        ...tunnelRows.map((r) => r.sealed_auth),
        ...probeRows.map((r) => r.headers_sealed as string),
      ]) {
        expect(sealed.startsWith(`fdk1.${result.keyId}.`)).toBe(true);
      }
      // The rotating host's instance reads its file again; every secret opens.
      await key.refresh();
      expect(key.keyId).toBe(result.keyId);
      for (const [i, c] of saved.entries())
        expect(await credentials.get(c.id)).toEqual({ password: `secret-${i + 1}` });
      expect(JSON.parse(key.open(tunnelRows[0]?.sealed_auth as string, tunnelContext(node.id)))).toEqual({
        password: 'tunnel',
      });
      expect((await probes.get(probe.id)).target).toMatchObject({
        headers: [{ name: 'Authorization', value: 'Bearer probe-secret' }],
      });

      // The other host has not got the new file yet: it says so, and works once it is copied.
      await elsewhere.refresh();
      const there = new CredentialStore(store.db, elsewhere);
      await expect(there.get(saved[0]?.id as string)).rejects.toThrow(/rotated .*Copy the cluster key file/);
      writeFileSync(stale, readFileSync(file), { mode: 0o600 });
      await elsewhere.refresh();
      expect(await there.get(saved[0]?.id as string)).toEqual({ password: 'secret-1' });

      // A value written under the previous key meanwhile (another Galera node) is re-sealed by an
      // instance that notices the rotation.
      const previous = new KeyRing(keys).seal(before, JSON.stringify({ password: 'late' }), 'ssh-credential:late');
      await store.db
        .insertInto('ssh_credentials')
        .values({ id: 'late', name: 'late', kind: 'password', sealed: previous, created_at: 2 })
        .execute();
      expect(await key.resealOutdated()).toBe(1);
      const late = await store.db
        .selectFrom('ssh_credentials')
        .select('sealed')
        .where('id', '=', 'late')
        .executeTakeFirstOrThrow();
      expect(late.sealed.startsWith(`fdk1.${result.keyId}.`)).toBe(true);
      expect(await credentials.get('late')).toEqual({ password: 'late' });
    } finally {
      await cleanup();
    }
  });

  it('refuses to rotate with a key file that does not hold the current key, changing nothing', async () => {
    const { store, cleanup } = await target.open();
    try {
      const key = await load(store, join(tempDir(), 'cluster.key'));
      await new CredentialStore(store.db, key).save('c', { password: 'p' });
      const wrong = join(tempDir(), 'cluster.key');
      writeKeyFile(wrong, [generateKey()]);
      const wrongBefore = readFileSync(wrong, 'utf8');
      await expect(rotateClusterKey(store.db, store.dialect, wrong)).rejects.toThrow(
        `does not hold this database's cluster key ${key.keyId}`,
      );
      expect(readFileSync(wrong, 'utf8')).toBe(wrongBefore);
      const row = await store.db.selectFrom('cluster_key').select('key_id').executeTakeFirstOrThrow();
      expect(row.key_id).toBe(key.keyId);
    } finally {
      await cleanup();
    }
  });
});
