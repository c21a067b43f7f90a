// The pure part of the fleet's live headlines (live.ts): merging one ≈1 Hz `metrics` event into what
// the screen holds. A 10,000-node fleet sends 10,000 entries a second, so the merge updates the maps
// in place (copying both every second was most of the per-event work) and says that it did with a new
// version; a node's CPU history is a new array only when its content changed, so rows can skip
// re-rendering by reference. Imports carry .js so unit tests run this under Node.
import type { OutputOf } from '../../main/contract/contract.js';

export type NodeLive = OutputOf<'fleetLive'>[number];

export interface FleetLive {
  /** Bumped by every merge: the maps are the same objects, updated in place. */
  version: number;
  byNode: ReadonlyMap<string, NodeLive>;
  /** The last CPU figures per node, oldest first; an array is never changed once handed out. */
  cpuHistory: ReadonlyMap<string, readonly number[]>;
}

export const CPU_HISTORY = 30;

/** The history with `cpu` appended (the oldest dropped past CPU_HISTORY); the same array if that changes nothing. */
export function appendHistory(history: readonly number[] | undefined, cpu: number): readonly number[] {
  if (!history) return [cpu];
  // A full history of the same figure stays the same line: keep the array so its row need not re-render.
  if (history.length >= CPU_HISTORY && history.every((v) => v === cpu)) return history;
  const next = history.slice(history.length >= CPU_HISTORY ? history.length - CPU_HISTORY + 1 : 0);
  next.push(cpu);
  return next;
}

/** A fresh store from a full answer (the initial load, or a refetch). */
export function liveFrom(nodes: readonly NodeLive[]): FleetLive {
  return mergeLive({ version: 0, byNode: new Map(), cpuHistory: new Map() }, nodes);
}

/**
 * Merges an event's nodes into `previous` (whose maps are updated in place) and returns a new store
 * object with the next version, which is what tells react-query and memos that something changed.
 */
export function mergeLive(previous: FleetLive | undefined, updates: readonly NodeLive[]): FleetLive {
  if (!previous) return liveFrom(updates);
  const byNode = previous.byNode as Map<string, NodeLive>;
  const cpuHistory = previous.cpuHistory as Map<string, readonly number[]>;
  for (const n of updates) {
    byNode.set(n.nodeId, n);
    if (n.cpu !== null) cpuHistory.set(n.nodeId, appendHistory(cpuHistory.get(n.nodeId), n.cpu));
  }
  return { version: previous.version + 1, byNode, cpuHistory };
}

/** The figures the fleet's rows and cards show (besides a card's host uptime, which moves every second). */
export const SHOWN_FIGURES = ['cpu', 'memUsed', 'memTotal', 'diskUsed', 'diskTotal', 'rxBps', 'txBps'] as const;

/** Whether two samples show the same `fields`: a new sample whose shown figures are the same is no change. */
export function sameFigures(
  a: NodeLive | undefined,
  b: NodeLive | undefined,
  fields: readonly (keyof NodeLive)[] = SHOWN_FIGURES,
): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return fields.every((f) => a[f] === b[f]);
}
