// The pure part of the fleet's live headlines (live.ts): merging one ≈1 Hz `metrics` event into what
// the screen holds. A 10,000-node fleet sends 10,000 entries a second. Each node has one entry for the
// store's lifetime, updated in place, with its CPU history in a fixed ring: the event's parsed objects
// die young instead of being kept a second (and promoted, so that the old generation filled with a
// fleet's worth of garbage every second and its collections stalled the page). An entry's `rev` moves
// when what the fleet shows of it moves, which is what rows and cards compare; the store's `version`
// moves with every merge. Imports carry .js so unit tests run this under Node.
import type { OutputOf } from '../../main/contract/contract.js';

export type NodeLive = OutputOf<'fleetLive'>[number];

/** The CPU figures a sparkline draws, at most. */
export const CPU_HISTORY = 30;

/** One node's latest figures, updated in place by every merge. */
export interface LiveEntry extends NodeLive {
  /** Moves when a shown figure (SHOWN_FIGURES) or the CPU history changes; not for the time or host uptime alone. */
  rev: number;
  /** The last CPU figures, a ring of CPU_HISTORY: read with cpuHistory(). */
  readonly ring: Float64Array;
  ringStart: number;
  ringLength: number;
  /** How many of the last figures equal the newest: a full ring of one figure does not move on it. */
  sameRun: number;
}

export interface FleetLive {
  /** Moves with every merge: the map and its entries are the same objects, updated in place. */
  version: number;
  byNode: ReadonlyMap<string, LiveEntry>;
}

/** The figures the fleet's rows and cards show (besides a card's host uptime, which moves every second). */
export const SHOWN_FIGURES = ['cpu', 'memUsed', 'memTotal', 'diskUsed', 'diskTotal', 'rxBps', 'txBps'] as const;
const FIGURES = [...SHOWN_FIGURES, 'load1', 'uptimeSec'] as const;

/** The node's CPU history, oldest first (a new array: for drawing). */
export function cpuHistory(entry: LiveEntry | undefined): number[] {
  if (!entry) return [];
  const out = new Array<number>(entry.ringLength);
  for (let i = 0; i < entry.ringLength; i++) out[i] = entry.ring[(entry.ringStart + i) % CPU_HISTORY] as number;
  return out;
}

/** Appends to the ring; false when that changes nothing drawn (a full ring of the same figure). */
function pushCpu(entry: LiveEntry, cpu: number): boolean {
  const last = entry.ringLength > 0 ? entry.ring[(entry.ringStart + entry.ringLength - 1) % CPU_HISTORY] : undefined;
  entry.sameRun = last === cpu ? entry.sameRun + 1 : 1;
  if (entry.ringLength < CPU_HISTORY) {
    entry.ring[(entry.ringStart + entry.ringLength) % CPU_HISTORY] = cpu;
    entry.ringLength += 1;
    return true;
  }
  entry.ring[entry.ringStart] = cpu;
  entry.ringStart = (entry.ringStart + 1) % CPU_HISTORY;
  return entry.sameRun <= CPU_HISTORY;
}

/** A figure as the event carries it, or null: the event's shape is not validated on the way in (sse.ts). */
const figure = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function newEntry(n: NodeLive): LiveEntry {
  const entry: LiveEntry = {
    nodeId: n.nodeId,
    t: figure(n.t) ?? 0,
    cpu: null,
    memUsed: null,
    memTotal: null,
    diskUsed: null,
    diskTotal: null,
    rxBps: null,
    txBps: null,
    load1: null,
    uptimeSec: null,
    rev: 0,
    ring: new Float64Array(CPU_HISTORY),
    ringStart: 0,
    ringLength: 0,
    sameRun: 0,
  };
  for (const f of FIGURES) entry[f] = figure(n[f]);
  if (entry.cpu !== null) pushCpu(entry, entry.cpu);
  return entry;
}

/** Copies a sample into its entry; true when something shown (a figure or the history) moved. */
function update(entry: LiveEntry, n: NodeLive): boolean {
  let moved = false;
  for (const f of SHOWN_FIGURES) {
    const v = figure(n[f]);
    if (entry[f] !== v) {
      entry[f] = v;
      moved = true;
    }
  }
  entry.t = figure(n.t) ?? entry.t;
  entry.load1 = figure(n.load1);
  entry.uptimeSec = figure(n.uptimeSec);
  if (entry.cpu !== null && pushCpu(entry, entry.cpu)) moved = true;
  return moved;
}

/** A fresh store from a full answer (the initial load, or a refetch). */
export function liveFrom(nodes: readonly NodeLive[]): FleetLive {
  return mergeLive({ version: 0, byNode: new Map() }, nodes);
}

/**
 * Merges an event's nodes into `previous` (its map and entries are updated in place) and returns a new
 * store object with the next version, which is what tells react-query and the list that it changed.
 */
export function mergeLive(previous: FleetLive | undefined, updates: readonly NodeLive[]): FleetLive {
  if (!previous) return liveFrom(updates);
  mergeInPlace(previous, updates);
  return nextVersion(previous);
}

/** Merges an event's nodes into the store's entries without a new version: nothing re-renders yet. */
export function mergeInPlace(store: FleetLive, updates: readonly NodeLive[]): void {
  const byNode = store.byNode as Map<string, LiveEntry>;
  for (const n of updates) {
    if (typeof n?.nodeId !== 'string') continue;
    const entry = byNode.get(n.nodeId);
    if (!entry) byNode.set(n.nodeId, newEntry(n));
    else if (update(entry, n)) entry.rev += 1;
  }
}

/** The same entries under the next version: what tells react-query and the list that they moved. */
export function nextVersion(store: FleetLive): FleetLive {
  return { version: store.version + 1, byNode: store.byNode };
}
