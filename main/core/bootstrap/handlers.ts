// Contract handlers for SSH bootstrap and known hosts.
import type { Handlers } from '../../contract/contract.js';
import type { BootstrapService } from './bootstrap-service.js';
import type { KnownHosts } from './known-hosts.js';
import { readSshConfig } from './ssh-config.js';

type BootstrapHandlerNames =
  | 'startBootstrap'
  | 'getBootstrap'
  | 'upgradeAgent'
  | 'uninstallAgent'
  | 'sshConfigHosts'
  | 'listKnownHosts'
  | 'removeKnownHost';

export function bootstrapHandlers(
  service: BootstrapService,
  knownHosts: KnownHosts,
): Pick<Handlers, BootstrapHandlerNames> {
  return {
    startBootstrap: async (request) => service.install(request),
    getBootstrap: async ({ id }) => service.get(id),
    upgradeAgent: ({ id, auth, confirmHostKeys }) => service.upgrade(id, auth, confirmHostKeys),
    uninstallAgent: ({ id, auth, confirmHostKeys }) => service.uninstall(id, auth, confirmHostKeys),
    sshConfigHosts: async () => readSshConfig(),
    listKnownHosts: async () => knownHosts.list(),
    removeKnownHost: async ({ host, port }) => ({ removed: knownHosts.remove(host, port) }),
  };
}
