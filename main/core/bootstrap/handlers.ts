// Contract handlers for SSH bootstrap and known hosts.
import type { Handlers } from '../../contract/contract.js';
import type { BootstrapService } from './bootstrap-service.js';
import type { CredentialStore } from './credentials.js';
import type { KnownHosts } from './known-hosts.js';
import { readSshConfig } from './ssh-config.js';
import type { SshAuth } from './ssh-session.js';

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
  | 'removeKnownHost';

export function bootstrapHandlers(
  service: BootstrapService,
  knownHosts: KnownHosts,
  credentials: CredentialStore,
): Pick<Handlers, BootstrapHandlerNames> {
  /** A saved credential by id, or the secrets given inline. */
  const authOf = ({ credentialId, ...inline }: SshAuth & { credentialId?: string }): SshAuth =>
    credentialId !== undefined ? credentials.get(credentialId) : inline;
  return {
    startBootstrap: async (request) => service.install({ ...request, auth: authOf(request.auth) }),
    getBootstrap: async ({ id }) => service.get(id),
    upgradeAgent: ({ id, auth, confirmHostKeys }) => service.upgrade(id, authOf(auth), confirmHostKeys),
    uninstallAgent: ({ id, auth, confirmHostKeys }) => service.uninstall(id, authOf(auth), confirmHostKeys),
    listSshCredentials: async () => credentials.list(),
    saveSshCredential: async ({ name, auth }) => credentials.save(name, auth),
    deleteSshCredential: async ({ id }) => {
      credentials.remove(id);
      return { ok: true as const };
    },
    sshConfigHosts: async () => readSshConfig(),
    listKnownHosts: async () => knownHosts.list(),
    removeKnownHost: async ({ host, port }) => ({ removed: knownHosts.remove(host, port) }),
  };
}
