// known_hosts semantics checked against OpenSSH's own tool: entries hashed by `ssh-keygen -H` are
// matched, entries FleetDeck stores are found by `ssh-keygen -F`, an old data dir's file is imported once, [host]:port, patterns, negation and
// @revoked behave as in OpenSSH.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, hostsFieldMatches, KnownHosts } from '../../main/core/bootstrap/known-hosts.js';
import { openStore } from '../../main/core/store/store.js';
import { tempDir } from '../helpers/processes.js';
import { hasSshd, keyFingerprint, keygen } from '../helpers/sshd.js';

function publicKey(dir: string, name: string): { type: string; blob: Buffer; line: string } {
  const { publicKey: line } = keygen(join(dir, name));
  const [type, b64] = line.trim().split(' ');
  return { type: type as string, blob: Buffer.from(b64 as string, 'base64'), line: `${type} ${b64}` };
}

describe('host patterns', () => {
  it('matches lists, globs and negations like OpenSSH', () => {
    expect(hostsFieldMatches('web1,web2', 'web2')).toBe(true);
    expect(hostsFieldMatches('*.example.com', 'a.example.com')).toBe(true);
    expect(hostsFieldMatches('*.example.com,!bad.example.com', 'bad.example.com')).toBe(false);
    expect(hostsFieldMatches('[10.0.0.?]:2222', '[10.0.0.7]:2222')).toBe(true);
    expect(hostsFieldMatches('10.0.0.7', '[10.0.0.7]:2222')).toBe(false);
  });
});

describe.runIf(hasSshd())('known_hosts with OpenSSH tools', () => {
  it('reads hashed entries, stores entries ssh-keygen finds, and spots changed and revoked keys', async () => {
    const dir = tempDir();
    const key = publicKey(dir, 'a');
    const other = publicKey(dir, 'b');
    const userFile = join(dir, 'user_known_hosts');
    writeFileSync(userFile, `[127.0.0.1]:2222 ${key.line}\nplain.example ${other.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', userFile], { stdio: 'pipe' });
    expect(readFileSync(userFile, 'utf8')).toMatch(/^\|1\|/);
    const store = await openStore(join(dir, 'store.db'));
    const known = new KnownHosts(store.db, [userFile]);
    expect(await known.verify('127.0.0.1', 2222, key.type, key.blob)).toBe('trusted');
    expect(await known.verify('127.0.0.1', 22, key.type, key.blob)).toBe('unknown');
    expect(await known.verify('127.0.0.1', 2222, other.type, other.blob)).toBe('changed');

    const fresh = publicKey(dir, 'c');
    await known.trust('10.1.2.3', 2200, fresh.type, fresh.blob);
    // The stored entry, written out as a known_hosts line, is one OpenSSH finds.
    const [row] = await store.db.selectFrom('known_hosts').selectAll().execute();
    const exported = join(dir, 'exported_known_hosts');
    writeFileSync(exported, `${row?.hosts} ${row?.key_type} ${row?.key_blob}\n`);
    const found = execFileSync('ssh-keygen', ['-F', '[10.1.2.3]:2200', '-f', exported], { encoding: 'utf8' });
    expect(found).toContain(fresh.line.split(' ')[1]);
    expect((await known.list())[0]?.fingerprint).toBe(keyFingerprint(join(dir, 'c.pub')));
    expect(fingerprint(fresh.blob)).toBe(keyFingerprint(join(dir, 'c.pub')));

    writeFileSync(userFile, `@revoked * ${fresh.line}\n`, { flag: 'a' });
    expect(await known.verify('10.1.2.3', 2200, fresh.type, fresh.blob)).toBe('revoked');
    expect(await known.remove('10.1.2.3', 2200)).toBe(1);
    expect(await known.list()).toEqual([]);
    await store.close();
  });

  it('imports the known_hosts file an older FleetDeck wrote, once', async () => {
    const dir = tempDir();
    const key = publicKey(dir, 'old');
    const legacy = join(dir, 'known_hosts');
    writeFileSync(legacy, `[10.0.0.9]:2222 ${key.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', legacy], { stdio: 'pipe' });
    const store = await openStore(join(dir, 'store.db'));
    const known = new KnownHosts(store.db);
    expect(await known.importFile(legacy)).toBe(1);
    expect(await known.importFile(legacy)).toBe(0);
    expect(await known.verify('10.0.0.9', 2222, key.type, key.blob)).toBe('trusted');
    expect(await known.list()).toHaveLength(1);
    await store.close();
  });
});
