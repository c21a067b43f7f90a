// Importing hosts from an OpenSSH client config, with OpenSSH's first-value-wins across blocks.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseSshConfig } from '../../main/core/bootstrap/ssh-config.js';

describe('~/.ssh/config import', () => {
  it('lists concrete hosts with HostName, Port, User, IdentityFile and ProxyJump', () => {
    const hosts = parseSshConfig(`
# personal boxes
Host web1 web2
  HostName %h.example.com
  User deploy

Host db
  HostName 10.0.0.5
  Port 2222
  IdentityFile ~/.ssh/db_ed25519
  ProxyJump bastion

Host bastion
  HostName bastion.example.com
  User jump

Host *
  User fallback
  Port 22
`);
    expect(hosts).toEqual([
      { alias: 'web1', host: 'web1.example.com', port: 22, username: 'deploy', identityFile: null, proxyJump: null },
      { alias: 'web2', host: 'web2.example.com', port: 22, username: 'deploy', identityFile: null, proxyJump: null },
      {
        alias: 'db',
        host: '10.0.0.5',
        port: 2222,
        username: 'fallback',
        identityFile: `${os.homedir()}/.ssh/db_ed25519`,
        proxyJump: 'bastion',
      },
      {
        alias: 'bastion',
        host: 'bastion.example.com',
        port: 22,
        username: 'jump',
        identityFile: null,
        proxyJump: null,
      },
    ]);
  });
});
