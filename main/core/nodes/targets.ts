// Which nodes a selection names: ids and a label selector, as a command enqueue and a task use them.
// It is a question about nodes, so it lives with them; the queue and tasks only ask it.

import { FleetError } from '../../contract/errors.js';
import { hasLabels } from '../../contract/labels.js';
import type { NodeView } from '../../contract/schemas.js';

export interface Targets {
  nodeIds?: string[];
  selector?: Record<string, string>;
}

/** The part of the registry target resolution reads (every node, revoked ones included). */
export interface NodeLister {
  list(): Promise<NodeView[]>;
}

export interface TargetNodes {
  /** The nodes that can run work. */
  nodes: NodeView[];
  /** Named or matched, but revoked: never given work. */
  revoked: NodeView[];
}

/** The nodes a selection names, revoked ones apart; an unknown id is refused (400). */
export async function targetNodes(registry: NodeLister, targets: Targets): Promise<TargetNodes> {
  const all = await registry.list();
  const byId = new Map(all.map((n) => [n.id, n]));
  const chosen = new Map<string, NodeView>();
  for (const id of targets.nodeIds ?? []) {
    const node = byId.get(id);
    if (!node) throw new FleetError('bad_request', `Unknown node ${JSON.stringify(id)} in targets.`);
    chosen.set(id, node);
  }
  if (targets.selector) {
    const wanted = Object.entries(targets.selector);
    for (const node of all) {
      if (hasLabels(node.labels, wanted)) chosen.set(node.id, node);
    }
  }
  const nodes = [...chosen.values()];
  return { nodes: nodes.filter((n) => !n.revoked), revoked: nodes.filter((n) => n.revoked) };
}

/**
 * The node ids a selection names, for a new command or task. A revoked node named by id is refused
 * (409: it would never run it); one a selector matches is left out.
 */
export async function resolveTargets(registry: NodeLister, targets: Targets): Promise<string[]> {
  const { nodes, revoked } = await targetNodes(registry, targets);
  const named = revoked.filter((n) => targets.nodeIds?.includes(n.id));
  if (named.length > 0) {
    throw new FleetError(
      'conflict',
      `Node ${named.map((n) => JSON.stringify(n.name)).join(', ')} is revoked: it can no longer connect or run commands.`,
    );
  }
  return nodes.map((n) => n.id);
}
