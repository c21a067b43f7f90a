// OpenSSH known_hosts semantics: plain and hashed (|1|salt|hmac) host entries, [host]:port for ports
// other than 22, comma lists, * and ? patterns with ! negation, and @revoked keys. The user's
// ~/.ssh/known_hosts is read; FleetDeck writes only its own file (hashed entries).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { globToRegExp } from '../../../common/glob.js';

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

export class KnownHosts {
  constructor(
    /** FleetDeck's own file: written when an admin confirms a new key. */
    readonly ownFile: string,
    /** Read-only sources, typically ~/.ssh/known_hosts. */
    readonly readFiles: string[] = [],
  ) {}

  private entries(): KnownKey[] {
    const files = [this.ownFile, ...this.readFiles].filter((f) => existsSync(f));
    return files.flatMap((f) => parseKnownHosts(readFileSync(f, 'utf8'), f));
  }

  /** The verdict for a key a server presented. A revoked key is refused wherever it appears. */
  verify(host: string, port: number, keyType: string, keyBlob: Buffer): HostKeyVerdict {
    const key = keyBlob.toString('base64');
    const entries = this.entries();
    if (entries.some((e) => e.marker === '@revoked' && e.key === key)) return 'revoked';
    const token = hostToken(host, port);
    const forHost = entries.filter((e) => e.marker === null && hostsFieldMatches(e.hosts, token));
    if (forHost.some((e) => e.key === key && e.keyType === keyType)) return 'trusted';
    // A known host presenting a different key of a type we have on record: possibly an attack.
    if (forHost.some((e) => e.keyType === keyType)) return 'changed';
    return 'unknown';
  }

  /** Records a confirmed key, hashed like `ssh-keygen -H`. */
  trust(host: string, port: number, keyType: string, keyBlob: Buffer): void {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(hostToken(host, port)).digest('base64');
    appendFileSync(this.ownFile, `|1|${salt.toString('base64')}|${hash} ${keyType} ${keyBlob.toString('base64')}\n`, {
      mode: 0o600,
    });
  }

  /** FleetDeck's own entries for a host (for listing), with fingerprints. */
  list(): Array<{ hosts: string; keyType: string; fingerprint: string; line: number }> {
    if (!existsSync(this.ownFile)) return [];
    return parseKnownHosts(readFileSync(this.ownFile, 'utf8'), this.ownFile).map((e) => ({
      hosts: e.hosts,
      keyType: e.keyType,
      fingerprint: fingerprint(Buffer.from(e.key, 'base64')),
      line: e.line,
    }));
  }

  /** Forgets every key FleetDeck recorded for this host (the user's own file is never edited). */
  remove(host: string, port: number): number {
    if (!existsSync(this.ownFile)) return 0;
    const token = hostToken(host, port);
    const lines = readFileSync(this.ownFile, 'utf8').split('\n');
    const kept = lines.filter((l) => {
      const [e] = parseKnownHosts(l, this.ownFile);
      return !e || !hostsFieldMatches(e.hosts, token);
    });
    writeFileSync(this.ownFile, kept.join('\n'), { mode: 0o600 });
    return lines.length - kept.length;
  }
}
