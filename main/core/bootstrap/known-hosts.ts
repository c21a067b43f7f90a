// OpenSSH known_hosts semantics: plain and hashed (|1|salt|hmac) host entries, [host]:port for ports
// other than 22, comma lists, * and ? patterns with ! negation, and @revoked keys. The user's
// ~/.ssh/known_hosts is read; FleetDeck's own entries (hashed) are in the store, so a key confirmed
// on one instance is trusted by every instance sharing the database.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { globToRegExp } from '../../../common/glob.js';
import type { Db } from '../store/schema.js';

export type HostKeyVerdict = 'trusted' | 'unknown' | 'changed' | 'revoked';

export interface KnownKey {
  /** The host field as written (hashed entries stay hashed). */
  hosts: string;
  keyType: string;
  key: string;
  marker: '@revoked' | '@cert-authority' | null;
  file: string;
  line: number;
}

/** How OpenSSH names a host in known_hosts: bare on port 22, [host]:port otherwise. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** SHA256:<base64 without padding>, as `ssh-keygen -l` prints. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

const globMatch = (pattern: string, value: string) => globToRegExp(pattern, 'i').test(value);

function hashedMatch(entry: string, token: string): boolean {
  const [, magic, salt, hash] = entry.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64');
  return digest === hash;
}

/** Whether a known_hosts host field names this host token (negations veto). */
export function hostsFieldMatches(field: string, token: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, token);
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), token)) return false;
    } else if (globMatch(pattern, token)) matched = true;
  }
  return matched;
}

export function parseKnownHosts(text: string, file: string): KnownKey[] {
  const out: KnownKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownKey['marker'] = null;
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownKey['marker'];
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    out.push({ hosts, keyType, key, marker, file, line: i + 1 });
  });
  return out;
}

/** A stored entry's id: imported lines keep theirs, so importing a file twice adds nothing. */
const entryId = (hosts: string, keyType: string, key: string, marker: string | null) =>
  createHash('sha256')
    .update(`${marker ?? ''} ${hosts} ${keyType} ${key}`)
    .digest('hex')
    .slice(0, 32);

export class KnownHosts {
  constructor(
    /** FleetDeck's own entries, shared by every instance (`known_hosts` table). */
    private readonly db: Db,
    /** Read-only sources, typically ~/.ssh/known_hosts. */
    readonly readFiles: string[] = [],
  ) {}

  private async entries(): Promise<KnownKey[]> {
    const rows = await this.db.selectFrom('known_hosts').selectAll().orderBy('created_at').orderBy('id').execute();
    const own = rows.map((r, i) => ({
      hosts: r.hosts,
      keyType: r.key_type,
      key: r.key_blob,
      marker: r.marker,
      file: 'database',
      line: i + 1,
    }));
    const files = this.readFiles.filter((f) => existsSync(f));
    return [...own, ...files.flatMap((f) => parseKnownHosts(readFileSync(f, 'utf8'), f))];
  }

  /** The verdict for a key a server presented. A revoked key is refused wherever it appears. */
  async verify(host: string, port: number, keyType: string, keyBlob: Buffer): Promise<HostKeyVerdict> {
    const key = keyBlob.toString('base64');
    const entries = await this.entries();
    if (entries.some((e) => e.marker === '@revoked' && e.key === key)) return 'revoked';
    const token = hostToken(host, port);
    const forHost = entries.filter((e) => e.marker === null && hostsFieldMatches(e.hosts, token));
    if (forHost.some((e) => e.key === key && e.keyType === keyType)) return 'trusted';
    // A known host presenting a different key of a type we have on record: possibly an attack.
    if (forHost.some((e) => e.keyType === keyType)) return 'changed';
    return 'unknown';
  }

  /** Records a confirmed key, hashed like `ssh-keygen -H`; every instance trusts it from now on. */
  async trust(host: string, port: number, keyType: string, keyBlob: Buffer): Promise<void> {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(hostToken(host, port)).digest('base64');
    const hosts = `|1|${salt.toString('base64')}|${hash}`;
    const key = keyBlob.toString('base64');
    await this.db
      .insertInto('known_hosts')
      .values({
        id: entryId(hosts, keyType, key, null),
        hosts,
        key_type: keyType,
        key_blob: key,
        marker: null,
        created_at: Date.now(),
      })
      .execute();
  }

  /** FleetDeck's own entries (for listing), with fingerprints; `line` numbers them in order. */
  async list(): Promise<Array<{ hosts: string; keyType: string; fingerprint: string; line: number }>> {
    const rows = await this.db.selectFrom('known_hosts').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map((r, i) => ({
      hosts: r.hosts,
      keyType: r.key_type,
      fingerprint: fingerprint(Buffer.from(r.key_blob, 'base64')),
      line: i + 1,
    }));
  }

  /** Forgets every key FleetDeck recorded for this host (the user's own file is never edited). */
  async remove(host: string, port: number): Promise<number> {
    const token = hostToken(host, port);
    const rows = await this.db.selectFrom('known_hosts').select(['id', 'hosts']).execute();
    const ids = rows.filter((r) => hostsFieldMatches(r.hosts, token)).map((r) => r.id);
    if (ids.length === 0) return 0;
    await this.db.deleteFrom('known_hosts').where('id', 'in', ids).execute();
    return ids.length;
  }

  /** Adds the entries of a known_hosts file an older FleetDeck wrote; idempotent (ids from the line). */
  async importFile(file: string): Promise<number> {
    // Longer host fields than the column holds were never written by FleetDeck (it hashes them).
    const entries = parseKnownHosts(readFileSync(file, 'utf8'), file).filter((e) => e.hosts.length <= 1024);
    const rows = entries.map((e, i) => ({
      id: entryId(e.hosts, e.keyType, e.key, e.marker),
      hosts: e.hosts,
      key_type: e.keyType,
      key_blob: e.key,
      marker: e.marker,
      // Keeps the file's order in listings.
      created_at: statSync(file).mtimeMs - entries.length + i,
    }));
    const known = new Set(
      rows.length === 0
        ? []
        : (
            await this.db
              .selectFrom('known_hosts')
              .select('id')
              .where(
                'id',
                'in',
                rows.map((r) => r.id),
              )
              .execute()
          ).map((r) => r.id),
    );
    const fresh = rows.filter((r) => !known.has(r.id));
    if (fresh.length > 0) await this.db.insertInto('known_hosts').values(fresh).execute();
    return fresh.length;
  }
}
