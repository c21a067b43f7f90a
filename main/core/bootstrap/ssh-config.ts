// Hosts from an OpenSSH client config (~/.ssh/config): each concrete Host alias with its HostName,
// Port, User, IdentityFile and ProxyJump, after OpenSSH's first-value-wins rule across matching blocks.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { hostsFieldMatches } from './known-hosts.js';

export interface SshConfigHost {
  alias: string;
  host: string;
  port: number;
  username: string | null;
  identityFile: string | null;
  proxyJump: string | null;
}

interface Block {
  patterns: string[];
  options: Map<string, string>;
}

function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [{ patterns: ['*'], options: new Map() }];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^(\S+?)\s*(?:=\s*|\s+)(.+)$/.exec(line);
    if (!match) continue;
    const key = (match[1] as string).toLowerCase();
    const value = (match[2] as string).replace(/^"(.*)"$/, '$1');
    if (key === 'host') blocks.push({ patterns: value.split(/\s+/), options: new Map() });
    else if (key === 'match') blocks.push({ patterns: [], options: new Map() });
    else {
      const block = blocks[blocks.length - 1] as Block;
      if (!block.options.has(key)) block.options.set(key, value);
    }
  }
  return blocks;
}

/** OpenSSH's pattern lists are the same in Host lines and known_hosts: negations veto. */
const matches = (patterns: string[], alias: string) => hostsFieldMatches(patterns.join(','), alias);

const expandHome = (path: string) => path.replace(/^~(?=\/|$)/, os.homedir());

export function parseSshConfig(text: string): SshConfigHost[] {
  const blocks = parseBlocks(text);
  const aliases = new Set(blocks.flatMap((b) => b.patterns.filter((p) => !/[*?!]/.test(p))));
  return [...aliases].map((alias) => {
    const option = (key: string) => {
      for (const b of blocks) if (matches(b.patterns, alias) && b.options.has(key)) return b.options.get(key) as string;
      return null;
    };
    const identity = option('identityfile');
    return {
      alias,
      host: (option('hostname') ?? alias).replace(/%h/g, alias),
      port: Number(option('port') ?? 22),
      username: option('user'),
      identityFile: identity ? expandHome(identity) : null,
      proxyJump: option('proxyjump'),
    };
  });
}

export function readSshConfig(path = `${os.homedir()}/.ssh/config`): SshConfigHost[] {
  return existsSync(path) ? parseSshConfig(readFileSync(path, 'utf8')) : [];
}
