// What a caller's event stream may carry: a label-scoped viewer of staging never receives prod's node
// events, command output or metrics. Each event names its nodes (or none: about the whole fleet or its
// configuration, for unscoped roles only) and the role it needs, as the operations that read the same
// things do (contract/access-rules.ts).
import type { Role } from '../../contract/caller.js';
import type { AnyEvent, EventName } from '../../contract/contract.js';
import type { SyncVisibility } from './authorizer.js';

/** Which nodes an event is about, or null when it is about the whole fleet. */
export function eventNodes(message: AnyEvent): readonly string[] | null {
  switch (message.event) {
    case 'nodeStatus':
    case 'nodeChanged':
    case 'nodeDeleted':
    case 'commandStatus':
    case 'commandOutput':
    case 'transferProgress':
    case 'terminalSession':
      return [message.data.nodeId];
    case 'alertChanged':
      return message.data.nodeId === null ? null : [message.data.nodeId];
    case 'copyProgress':
      return [message.data.from.nodeId, message.data.to.nodeId];
    case 'metrics':
      return message.data.nodes.map((n) => n.nodeId);
    default:
      // taskRunStatus (a task may reach any node), bootstrap, rollouts, notification deliveries.
      return null;
  }
}

/** The role each event needs: as the operation that reads the same thing. */
export const eventRole: Record<EventName, Role> = {
  nodeStatus: 'viewer',
  nodeChanged: 'viewer',
  nodeDeleted: 'viewer',
  commandStatus: 'viewer',
  commandOutput: 'viewer',
  taskRunStatus: 'viewer',
  transferProgress: 'operator',
  copyProgress: 'operator',
  metrics: 'viewer',
  bootstrapProgress: 'administrator',
  agentRollout: 'viewer',
  notifyDelivery: 'administrator',
  alertChanged: 'viewer',
  terminalSession: 'operator',
  probeState: 'viewer',
};

/**
 * One subscriber's filter. `allows` decides from the event's name and nodes alone (so replayed frames,
 * kept as text, are judged the same way); a metrics tick is cut down to the nodes it may see.
 */
export interface EventGate {
  allows(event: EventName, nodes: readonly string[] | null): boolean;
  metrics(message: Extract<AnyEvent, { event: 'metrics' }>): Extract<AnyEvent, { event: 'metrics' }> | null;
}

export function eventGate(visibility: (role: Role) => SyncVisibility | null): EventGate | null {
  const byRole = new Map<Role, SyncVisibility | null>();
  const view = (role: Role) => {
    if (!byRole.has(role)) byRole.set(role, visibility(role));
    return byRole.get(role) as SyncVisibility | null;
  };
  const roles: Role[] = ['viewer', 'operator', 'administrator'];
  // Unscoped for every role it has: nothing to filter.
  if (roles.every((role) => view(role) === null)) return null;
  return {
    allows(event, nodes) {
      const may = view(eventRole[event]);
      if (may === null) return true;
      // A deleted node is gone from memory: its id alone tells a viewer nothing it may not know.
      if (event === 'nodeDeleted') return may.hasAnyGrant;
      if (nodes === null) return false;
      return nodes.every((id) => may.node(id));
    },
    metrics(message) {
      const may = view('viewer');
      if (may === null) return message;
      const nodes = message.data.nodes.filter((n) => may.node(n.nodeId));
      return nodes.length === 0 ? null : { event: 'metrics', data: { ...message.data, nodes } };
    },
  };
}
