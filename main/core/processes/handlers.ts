// The node's top processes on demand: an RPC to its agent over the live connection (the local node
// in-process), refused here already when the agent does not offer the capability, and its answer
// checked against the contract before anyone sees it.
import type { Handlers } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { FileRpc } from '../files/file-rpc.js';
import { checkedReply } from '../files/replies.js';
import type { NodeRegistry } from '../nodes/registry.js';

/** Measuring takes a second; a host with very many processes takes longer to read. */
const PROCESS_LIST_TIMEOUT_MS = 20_000;

export function processHandlers(rpc: FileRpc, registry: NodeRegistry): Pick<Handlers, 'topProcesses'> {
  return {
    topProcesses: async ({ id, limit }) => {
      const node = await registry.get(id);
      const offline = () =>
        new FleetError('node_offline', `${node.name} is not connected; its processes can be listed once it is.`);
      if (node.status !== 'online') throw offline();
      if (node.capabilities?.processes !== true) {
        throw new FleetError(
          'capability_missing',
          `The agent on ${node.name} does not share its processes: it was started with --no-processes, ` +
            'runs where there is no /proc (not Linux), or is older than this master. ' +
            'Restart it with --processes or upgrade it.',
        );
      }
      const reply = await rpc
        .call(id, { method: 'processes.top', params: { limit } }, PROCESS_LIST_TIMEOUT_MS)
        .catch((error: unknown) => {
          // The file call's wording names file access; this one speaks of processes.
          throw error instanceof FleetError && error.code === 'node_offline' ? offline() : error;
        });
      return checkedReply('topProcesses', node.name, reply);
    },
  };
}
