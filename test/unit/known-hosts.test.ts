// known_hosts semantics checked against OpenSSH's own tool: entries hashed by `ssh-keygen -H` are
// matched, entries FleetDeck writes are found by `ssh-keygen -F`, [host]:port, patterns, negation and
// @revoked behave as in OpenSSH.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint, hostsFieldMatches, KnownHosts } from '../../main/core/bootstrap/known-hosts.js';
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
  it('reads hashed entries, writes entries ssh-keygen finds, and spots changed and revoked keys', () => {
    const dir = tempDir();
    const key = publicKey(dir, 'a');
    const other = publicKey(dir, 'b');
    const userFile = join(dir, 'user_known_hosts');
    writeFileSync(userFile, `[127.0.0.1]:2222 ${key.line}\nplain.example ${other.line}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', userFile], { stdio: 'pipe' });
    expect(readFileSync(userFile, 'utf8')).toMatch(/^\|1\|/);
    const known = new KnownHosts(join(dir, 'own_known_hosts'), [userFile]);
    expect(known.verify('127.0.0.1', 2222, key.type, key.blob)).toBe('trusted');
    expect(known.verify('127.0.0.1', 22, key.type, key.blob)).toBe('unknown');
    expect(known.verify('127.0.0.1', 2222, other.type, other.blob)).toBe('changed');

    const fresh = publicKey(dir, 'c');
    known.trust('10.1.2.3', 2200, fresh.type, fresh.blob);
    const found = execFileSync('ssh-keygen', ['-F', '[10.1.2.3]:2200', '-f', known.ownFile], { encoding: 'utf8' });
    expect(found).toContain(fresh.line.split(' ')[1]);
    expect(known.list()[0]?.fingerprint).toBe(keyFingerprint(join(dir, 'c.pub')));
    expect(fingerprint(fresh.blob)).toBe(keyFingerprint(join(dir, 'c.pub')));

    writeFileSync(userFile, `@revoked * ${fresh.line}\n`, { flag: 'a' });
    expect(known.verify('10.1.2.3', 2200, fresh.type, fresh.blob)).toBe('revoked');
    expect(known.remove('10.1.2.3', 2200)).toBe(1);
    expect(known.list()).toEqual([]);
  });
});
