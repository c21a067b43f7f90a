import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../agent/backoff.js';
import { VERSION } from '../../agent/version.js';
import { FailureLimiter } from '../../main/core/gateway/failure-limiter.js';
import { onlineDuration } from '../../main/core/nodes/registry.js';
import { generateToken, hashToken, looksLikeToken } from '../../main/core/nodes/tokens.js';
import { parseHostPort } from '../../main/core/paths.js';
import { ROOT } from '../helpers/processes.js';

describe('backoff', () => {
  it('widens its window exponentially up to the cap, with full jitter, and resets', () => {
    const top = new Backoff({ baseMs: 1000, maxMs: 60_000 }, () => 0.999_999);
    const windows = Array.from({ length: 8 }, () => Math.round(top.next() / 1000));
    expect(windows).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    top.reset();
    expect(Math.round(top.next() / 1000)).toBe(1);
    expect(new Backoff({ baseMs: 1000, maxMs: 60_000 }, () => 0).next()).toBe(0);
    const penalty = new Backoff({ baseMs: 1000, maxMs: 60_000 }, () => 0).penalty();
    expect(penalty).toBe(30_000);
  });
});

describe('failure limiter', () => {
  it('blocks an address after too many failures in a window and forgets it afterwards', () => {
    let now = 0;
    const limiter = new FailureLimiter(3, 1000, 100, () => now);
    for (let i = 0; i < 3; i++) limiter.recordFailure('10.0.0.1');
    expect(limiter.isBlocked('10.0.0.1')).toBe(true);
    expect(limiter.isBlocked('10.0.0.2')).toBe(false);
    now = 1000;
    expect(limiter.isBlocked('10.0.0.1')).toBe(false);
  });

  it('stays bounded under a spray of addresses', () => {
    const limiter = new FailureLimiter(1, 60_000, 10);
    for (let i = 0; i < 1000; i++) limiter.recordFailure(`a${i}`);
    expect(limiter.isBlocked('a999')).toBe(true);
    expect(limiter.isBlocked('a0')).toBe(false);
  });
});

describe('tokens', () => {
  it('are 32 random bytes, recognisable, and hashed for storage', () => {
    const token = generateToken();
    expect(looksLikeToken(token)).toBe(true);
    expect(Buffer.from(token.slice(4), 'base64url')).toHaveLength(32);
    expect(generateToken()).not.toBe(token);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(looksLikeToken('fdk_short')).toBe(false);
  });
});

describe('uptime', () => {
  it('adds up online intervals inside the window', () => {
    const events = [
      { status: 'offline', at: 20 },
      { status: 'online', at: 50 },
      { status: 'offline', at: 70 },
    ];
    expect(onlineDuration(true, events, 0, 100)).toBe(20 + 20);
    expect(onlineDuration(false, [{ status: 'online', at: 90 }], 0, 100)).toBe(10);
    expect(onlineDuration(false, [], 0, 100)).toBe(0);
  });
});

describe('addresses and version', () => {
  it('parses listen addresses', () => {
    expect(parseHostPort('0.0.0.0:7443', 'x')).toEqual({ host: '0.0.0.0', port: 7443 });
    expect(parseHostPort('[::1]:7080', 'x')).toEqual({ host: '::1', port: 7080 });
    expect(parseHostPort(':7080', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 7080 });
    expect(parseHostPort('7080', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 7080 });
    expect(() => parseHostPort('host:99999', 'x')).toThrow(/not an address/);
  });

  it('the shipped version matches package.json', () => {
    expect(VERSION).toBe(JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')).version);
  });
});

describe('layering', () => {
  it('nothing outside the Electron shell and preload imports electron', async () => {
    const { readdirSync, readFileSync: read } = await import('node:fs');
    const { join } = await import('node:path');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
        const rel = join(dir, entry.name);
        if (entry.isDirectory()) walk(rel);
        else if (/\.tsx?$/.test(entry.name) && /from 'electron'/.test(read(join(ROOT, rel), 'utf8')))
          offenders.push(rel);
      }
    };
    for (const dir of ['main', 'agent', 'renderer/src']) walk(dir);
    expect(offenders).toEqual(['main/index.ts']);
  });
});
