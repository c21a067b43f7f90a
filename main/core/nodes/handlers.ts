// Contract handlers for nodes: the registry's operations plus what they mean for live connections
// (a changed credential is re-checked on every instance at once; a rotated token is offered to the
// connected agent).
import type { Handlers } from '../../contract/contract.js';
import type { NodeCredentials, NodeView } from '../../contract/schemas.js';
import type { NodeRegistry } from './registry.js';
import type { TokenDeliveries } from './token-delivery.js';

type NodeHandlerNames =
  | 'listNodes'
  | 'getNode'
  | 'createNode'
  | 'updateNode'
  | 'deleteNode'
  | 'rotateNodeToken'
  | 'revokeNode'
  | 'nodeUptime';

export interface NodeHandlerParts {
  registry: NodeRegistry;
  tokens: TokenDeliveries;
  /** Closes connections whose credential no longer stands (the gateway's re-check). */
  recheckCredentials(nodeIds: string[], spareTokenHash?: string | null): Promise<void>;
  /** The command an admin pastes on a host to start its agent with this token. */
  agentCommand(token: string): string;
  /** Revokes the node everywhere and ends its unfinished work (shared with SSH uninstall). */
  revoke(id: string): Promise<NodeView>;
}

export function nodeHandlers(parts: NodeHandlerParts): Pick<Handlers, NodeHandlerNames> {
  const { registry, tokens } = parts;
  const credentials = (node: NodeCredentials['node'], token: string, overlapUntil: number | null) => ({
    node,
    token,
    agentCommand: parts.agentCommand(token),
    tokenOverlapUntil: overlapUntil,
  });
  return {
    listNodes: () => registry.list(),
    getNode: ({ id }) => registry.get(id),
    createNode: async ({ name, labels }) => {
      const { node, token } = await registry.create({ name, labels });
      return credentials(node, token as string, null);
    },
    updateNode: ({ id, name, labels }) => registry.update(id, { name, labels }),
    deleteNode: async ({ id, force }) => {
      await registry.delete(id, force ?? false);
      await parts.recheckCredentials([id]);
      return { ok: true as const };
    },
    rotateNodeToken: async ({ id, overlapSec }) => {
      const rotated = await registry.rotateToken(id, overlapSec === undefined ? undefined : overlapSec * 1000);
      const { token, previousHash, overlapUntil } = rotated;
      // The agent on the previous token is handed the new one (sent at once, acknowledged later);
      // a connection on a token an earlier rotation already retired closes now, not after the ack.
      const delivering = tokens.offer(id, token, previousHash, overlapUntil);
      await parts.recheckCredentials([id], previousHash);
      const delivery = await delivering;
      // Then the previous token's connection: it overlaps, or (no overlap) closes once it had its answer.
      await parts.recheckCredentials([id]);
      return { ...credentials(rotated.node, token, overlapUntil), delivery };
    },
    revokeNode: ({ id }) => parts.revoke(id),
    nodeUptime: ({ id, hours }) => registry.uptime(id, hours),
  };
}
