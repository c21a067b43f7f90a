// The cluster key: one AES-256 key every instance sharing a database holds, which seals the secrets
// the store keeps (saved SSH credentials, tunnel credentials). It lives in a key file on each host
// (`<data-dir>/cluster.key`, or `--cluster-key-file` / FLEETDECK_CLUSTER_KEY_FILE), never in the
// database: the database keeps only the key's id and a check value (an HMAC made with the key), so an
// instance with another key is refused at start with a clear message instead of sealing secrets the
// others cannot open.
//
// Created by the first full instance that finds neither a key in the database nor a key file (on
// SQLite: the first start). An instance without the key file on a database that has a key starts
// without it: everything works except SSH secrets, which say what to copy where. The key file is read
// again when the database names a key this instance does not hold (after `fleetdeck cluster-key
// rotate`, see rotation.ts), every 5 s, so copying the new file to a host needs no restart.
import { existsSync, unlinkSync } from 'node:fs';
import { FleetError } from '../../contract/errors.js';
import type { Logger } from '../log.js';
import type { ClusterKeyTable, Db } from '../store/schema.js';
import { generateKey, readableByOthers, readKeyFile, writeKeyFile } from './key-file.js';
import { contextOf, readSealedValues, replaceSealedValue } from './sealed-values.js';
import { checkValueOf, KeyRing, keyIdOf, type SecretBox } from './secret-box.js';

const ROW = 'current';
export const CLUSTER_KEY_POLL_MS = 5_000;

export interface ClusterKeyOptions {
  db: Db;
  dialect: 'sqlite' | 'mariadb';
  file: string;
  /** A full instance may create the key; a console only reads. */
  mayCreate: boolean;
  log: Logger;
  pollMs?: number;
}

/** The database's record of the cluster key; `lock` holds it for the transaction (MariaDB). */
export async function currentKeyRecord(
  db: Db,
  dialect: 'sqlite' | 'mariadb',
  lock = false,
): Promise<ClusterKeyTable | undefined> {
  let query = db.selectFrom('cluster_key').selectAll().where('name', '=', ROW);
  if (lock && dialect === 'mariadb') query = query.forUpdate();
  return query.executeTakeFirst();
}

const when = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

function disagreement(file: string, ring: KeyRing, record: ClusterKeyTable): FleetError {
  const rotated = record.rotated_at ? ` (rotated ${when(record.rotated_at)})` : '';
  return new FleetError(
    'bad_request',
    `This instance's cluster key file ${file} holds key ${ring.ids.join(', ')}, but this database's secrets are sealed with cluster key ${record.key_id}${rotated}. ` +
      'Every instance sharing a database needs the same key: copy the key file from an instance of the cluster ' +
      `to ${file} (or point --cluster-key-file / FLEETDECK_CLUSTER_KEY_FILE at it) and start again.`,
  );
}

export class ClusterKey {
  private timer: NodeJS.Timeout | null = null;
  private missingLogged = false;

  private constructor(
    private readonly options: ClusterKeyOptions,
    private ring: KeyRing,
    private record: ClusterKeyTable | null,
  ) {}

  /** Reads the key file, agrees with the database (or creates the key), refuses a different key. */
  static async load(options: ClusterKeyOptions): Promise<ClusterKey> {
    const { db, dialect, file, log } = options;
    let keys = existsSync(file) ? readKeyFile(file) : [];
    if (keys.length > 0 && readableByOthers(file))
      log.warn({ file }, 'the cluster key file is readable by other users: chmod 600 it');
    let record = await currentKeyRecord(db, dialect);
    let created = false;
    if (!record && options.mayCreate) {
      if (keys.length === 0) {
        keys = [generateKey()];
        writeKeyFile(file, keys, true);
        created = true;
      }
      const key = keys[0] as Buffer;
      await db
        .insertInto('cluster_key')
        .values({ name: ROW, key_id: keyIdOf(key), check_value: checkValueOf(key), created_at: Date.now() })
        .execute()
        .catch(() => undefined); // another instance created it first: compared below
      record = await currentKeyRecord(db, dialect);
    }
    if (record && keys.length > 0 && !keys.some((k) => checkValueOf(k) === record.check_value)) {
      if (!created) throw disagreement(file, new KeyRing(keys), record);
      // Two first instances at once: the other's key won. Ours seals nothing; drop it.
      unlinkSync(file);
      keys = [];
      created = false;
    }
    const key = new ClusterKey(options, new KeyRing(keys), record ?? null);
    if (created)
      log.info({ file, keyId: record?.key_id }, 'created the cluster key: copy this file to every other instance');
    key.logIfMissing();
    return key;
  }

  /** Whether this instance holds the key the database names (it can seal and open). */
  get ready(): boolean {
    return this.record !== null && this.ring.has(this.record.key_id);
  }

  get keyId(): string | null {
    return this.record?.key_id ?? null;
  }

  get file(): string {
    return this.options.file;
  }

  /** Watches for rotations and a key file copied in later. */
  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.options.pollMs ?? CLUSTER_KEY_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Seals with the key the database names now, read in the caller's transaction (locked on MariaDB),
   * so a rotation running meanwhile either re-seals this value or is waited for.
   */
  async seal(trx: Db, plaintext: string, context: string): Promise<string> {
    const record = await currentKeyRecord(trx, this.options.dialect, true);
    if (!record) throw this.unavailable('no cluster key has been created in this database yet');
    if (!this.ring.has(record.key_id)) this.reloadFile();
    if (!this.ring.has(record.key_id)) {
      this.record = record;
      throw this.unavailable(`it does not hold cluster key ${record.key_id}`);
    }
    return this.ring.seal(record.key_id, plaintext, context);
  }

  open(sealed: string, context: string): string {
    let plain = this.ring.open(sealed, context);
    if (plain === null) {
      this.reloadFile();
      plain = this.ring.open(sealed, context);
    }
    if (plain === null) throw this.unavailable('it does not hold the cluster key this secret is sealed with');
    return plain;
  }

  /**
   * The SecretBox shape (synchronous, one context per purpose) for parts that seal outside a
   * transaction of their own, e.g. notification channels (`NOTIFY_CHANNEL_CONTEXT`): sealed with the
   * key this instance knows is current; a value a concurrent rotation missed is re-sealed by
   * `resealOutdated` (the column must be listed in sealed-values.ts).
   */
  secretBox(context: string): SecretBox {
    return {
      seal: (plaintext) => {
        const current = this.record?.key_id;
        if (!current || !this.ring.has(current)) throw this.unavailable('it does not hold the cluster key');
        return this.ring.seal(current, plaintext, context);
      },
      open: (sealed) => this.open(sealed, context),
    };
  }

  /** Reads the database's record; a rotation seen here re-seals what was written under the old key. */
  async refresh(): Promise<void> {
    try {
      const record = await currentKeyRecord(this.options.db, this.options.dialect);
      if (!record) return;
      const rotated = this.record !== null && this.record.key_id !== record.key_id;
      this.record = record;
      if (!this.ring.has(record.key_id)) this.reloadFile();
      this.logIfMissing();
      if (rotated && this.ring.has(record.key_id)) await this.resealOutdated();
    } catch (err) {
      this.options.log.warn({ err }, 'could not check the cluster key');
    }
  }

  /**
   * Values sealed under another key than the current one (written on another Galera node while the
   * rotation committed): re-sealed with the current key, each only if unchanged meanwhile.
   */
  async resealOutdated(): Promise<number> {
    const current = this.record?.key_id;
    if (!current || !this.ring.has(current)) return 0;
    const outdated = await readSealedValues(this.options.db, current);
    for (const value of outdated) {
      const plain = this.ring.open(value.sealed, contextOf(value));
      if (plain !== null)
        await replaceSealedValue(this.options.db, value, this.ring.seal(current, plain, contextOf(value)));
    }
    return outdated.length;
  }

  private reloadFile(): void {
    const { file, log } = this.options;
    if (!existsSync(file)) return;
    try {
      const before = this.ring.ids.join(',');
      this.ring = new KeyRing(readKeyFile(file));
      if (this.ring.ids.join(',') !== before)
        log.info({ file, keys: this.ring.ids }, 'read the cluster key file again');
      if (this.ready) this.missingLogged = false;
    } catch (err) {
      log.warn({ err, file }, 'could not read the cluster key file');
    }
  }

  private logIfMissing(): void {
    if (this.ready || this.record === null || this.missingLogged) return;
    this.missingLogged = true;
    this.options.log.warn(
      { file: this.options.file, keyId: this.record.key_id },
      `this instance does not hold the cluster key: saved SSH credentials and tunnels need it (copy the key file of another instance to ${this.options.file})`,
    );
  }

  private unavailable(why: string): FleetError {
    const rotated = this.record?.rotated_at ? ` (the key was rotated ${when(this.record.rotated_at)})` : '';
    return new FleetError(
      'unavailable',
      `This FleetDeck instance cannot seal or open saved SSH secrets: ${why}${rotated}. ` +
        `Copy the cluster key file of an instance of the cluster to ${this.options.file} on this host; it is read again within 5 s.`,
    );
  }
}
