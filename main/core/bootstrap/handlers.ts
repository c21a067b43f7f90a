// Contract handlers for SSH bootstrap, saved credentials and known hosts.
import type { Handlers } from '../../contract/contract.js';
import type { BootstrapService } from './bootstrap-service.js';
import type { CredentialStore } from './credentials.js';
import type { KnownHosts } from './known-hosts.js';
import { readSshConfig } from './ssh-config.js';
import type { SshAuth } from './ssh-session.js';
import type { TunnelManager } from './tunnels.js';

type BootstrapHandlerNames =
  | 'startBootstrap'
  | 'getBootstrap'
  | 'upgradeAgent'
  | 'uninstallAgent'
  | 'sshConfigHosts'
  | 'listSshCredentials'
  | 'saveSshCredential'
  | 'deleteSshCredential'
  | 'listKnownHosts'
  | 'removeKnownHost'
  | 'listTunnels';

export function bootstrapHandlers(
  service: BootstrapService,
  knownHosts: KnownHosts,
  credentials: CredentialStore,
  tunnels: TunnelManager,
): Pick<Handlers, BootstrapHandlerNames> {
  /** A saved credential by id, or the secrets given inline. */
  const authOf = async ({ credentialId, ...inline }: SshAuth & { credentialId?: string }): Promise<SshAuth> =>
    credentialId !== undefined ? credentials.get(credentialId) : inline;
  return {
    startBootstrap: async (request) => service.install({ ...request, auth: await authOf(request.auth) }),
    getBootstrap: ({ id }) => service.get(id),
    upgradeAgent: async ({ id, auth, confirmHostKeys }) => service.upgrade(id, await authOf(auth), confirmHostKeys),
    uninstallAgent: async ({ id, auth, confirmHostKeys }) => service.uninstall(id, await authOf(auth), confirmHostKeys),
    listSshCredentials: () => credentials.list(),
    saveSshCredential: ({ name, auth }) => credentials.save(name, auth),
    deleteSshCredential: async ({ id }) => {
      await credentials.remove(id);
      return { ok: true as const };
    },
    sshConfigHosts: async () => readSshConfig(),
    listKnownHosts: () => knownHosts.list(),
    removeKnownHost: async ({ host, port }) => ({ removed: await knownHosts.remove(host, port) }),
    listTunnels: () => tunnels.list(),
  };
}
