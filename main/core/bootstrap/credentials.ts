// Saved SSH credentials, in the store and sealed with the cluster key (secrets/cluster-key.ts), so
// every instance sharing the database can use them. Listing never returns a secret; only the
// bootstrap reads them back.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FleetError } from '../../contract/errors.js';
import type { ClusterKey } from '../secrets/cluster-key.js';
import { credentialContext } from '../secrets/sealed-values.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Db, SshCredentialsTable } from '../store/schema.js';
import type { SshAuth } from './ssh-session.js';

export interface CredentialInfo {
  id: string;
  name: string;
  kind: SshCredentialsTable['kind'];
  createdAt: number;
}

const kindOf = (auth: SshAuth): CredentialInfo['kind'] =>
  auth.privateKey !== undefined ? 'key' : auth.password !== undefined ? 'password' : 'agent';

/** What an older FleetDeck kept in `<data-dir>/ssh-credentials.json`. */
interface LegacyCredential extends CredentialInfo {
  sealed: string;
}

export class CredentialStore {
  constructor(
    private readonly db: Db,
    private readonly key: ClusterKey,
  ) {}

  async list(): Promise<CredentialInfo[]> {
    const rows = await this.db
      .selectFrom('ssh_credentials')
      .select(['id', 'name', 'kind', 'created_at'])
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, createdAt: Number(r.created_at) }));
  }

  async save(name: string, auth: SshAuth): Promise<CredentialInfo> {
    const info: CredentialInfo = { id: randomUUID(), name, kind: kindOf(auth), createdAt: Date.now() };
    await this.insert(info, auth);
    return info;
  }

  async get(id: string): Promise<SshAuth> {
    const row = await this.db.selectFrom('ssh_credentials').select('sealed').where('id', '=', id).executeTakeFirst();
    if (!row) throw new FleetError('not_found', `No saved SSH credential ${id}.`);
    return JSON.parse(this.key.open(row.sealed, credentialContext(id))) as SshAuth;
  }

  async remove(id: string): Promise<void> {
    const result = await this.db.deleteFrom('ssh_credentials').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new FleetError('not_found', `No saved SSH credential ${id}.`);
  }

  /**
   * Imports a credentials file an older FleetDeck wrote (sealed by `legacy`), keeping ids, names and
   * dates; ids already in the store are skipped, so a second import adds nothing.
   */
  async importFile(file: string, legacy: SecretBox): Promise<number> {
    const entries = JSON.parse(readFileSync(file, 'utf8')) as LegacyCredential[];
    let added = 0;
    for (const entry of entries) {
      const known = await this.db
        .selectFrom('ssh_credentials')
        .select('id')
        .where('id', '=', entry.id)
        .executeTakeFirst();
      if (known) continue;
      const auth = JSON.parse(legacy.open(entry.sealed)) as SshAuth;
      await this.insert({ id: entry.id, name: entry.name, kind: kindOf(auth), createdAt: entry.createdAt }, auth);
      added++;
    }
    return added;
  }

  private async insert(info: CredentialInfo, auth: SshAuth): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const sealed = await this.key.seal(trx, JSON.stringify(auth), credentialContext(info.id));
      await trx
        .insertInto('ssh_credentials')
        .values({ id: info.id, name: info.name, kind: info.kind, sealed, created_at: info.createdAt })
        .execute();
    });
  }
}
