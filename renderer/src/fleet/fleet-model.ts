// What the fleet view shows, decided apart from drawing it: search, sort, grouping by a label, the
// remembered view choice and what a row says about its age. Pure, so the screen and its tests agree.
import type { OutputOf } from '../../../main/contract/contract';
import { share } from '../format';
import type { NodeLive } from '../live';

export type Node = OutputOf<'listNodes'>[number];
export type SortKey = 'status' | 'name' | 'cpu' | 'memory' | 'disk' | 'rx' | 'tx' | 'os' | 'lastSeen';
export type FleetView = 'table' | 'cards';

export function sortValue(key: SortKey, node: Node, live: NodeLive | undefined): number | string {
  switch (key) {
    case 'status':
      return node.status;
    case 'name':
      return node.name.toLowerCase();
    case 'cpu':
      return live?.cpu ?? -1;
    case 'memory':
      return share(live?.memUsed ?? null, live?.memTotal ?? null) ?? -1;
    case 'disk':
      return share(live?.diskUsed ?? null, live?.diskTotal ?? null) ?? -1;
    case 'rx':
      return live?.rxBps ?? -1;
    case 'tx':
      return live?.txBps ?? -1;
    case 'os':
      return `${node.os ?? ''} ${node.agentVersion ?? ''}`;
    case 'lastSeen':
      return node.status === 'online' ? Number.MAX_SAFE_INTEGER : (node.lastSeenAt ?? 0);
  }
}

/** Every whitespace-separated term must appear in the name, host, OS, address or a `key=value` label. */
export function matches(node: Node, search: string): boolean {
  if (!search) return true;
  const haystack = [
    node.name,
    node.hostname,
    node.os,
    node.remoteAddress,
    ...Object.entries(node.labels).map(([k, v]) => `${k}=${v}`),
  ]
    .join(' ')
    .toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .every((term) => haystack.includes(term));
}

/** The sort keys whose order moves with the live figures (the others depend on the node list only). */
export const LIVE_SORTS: ReadonlySet<SortKey> = new Set(['cpu', 'memory', 'disk', 'rx', 'tx']);

/**
 * A sorted copy. Each node's sort value is computed once (not twice per comparison: ten thousand nodes
 * sorted by a live figure once a second), ties broken by name.
 */
export function sortNodes(
  nodes: readonly Node[],
  sort: { key: SortKey; desc: boolean },
  live: ReadonlyMap<string, NodeLive>,
): Node[] {
  const dir = sort.desc ? -1 : 1;
  const keyed = nodes.map((node) => ({ node, value: sortValue(sort.key, node, live.get(node.id)) }));
  keyed.sort((a, b) => (a.value < b.value ? -dir : a.value > b.value ? dir : a.node.name.localeCompare(b.node.name)));
  return keyed.map((k) => k.node);
}

/** The label keys the fleet uses, most common first: what "group by" offers. */
export function labelKeys(nodes: readonly Node[]): string[] {
  const counts = new Map<string, number>();
  for (const n of nodes) for (const k of Object.keys(n.labels)) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
}

export interface Group {
  /** The label's value; null for the nodes without the label (listed last). */
  value: string | null;
  nodes: Node[];
}

/** Nodes grouped by one label's value (groups by name, the unlabelled last), each keeping the given order. */
export function groupBy(nodes: readonly Node[], key: string | null): Group[] {
  if (!key) return [{ value: null, nodes: [...nodes] }];
  const groups = new Map<string | null, Node[]>();
  for (const n of nodes) {
    const value = n.labels[key] ?? null;
    const list = groups.get(value);
    if (list) list.push(n);
    else groups.set(value, [n]);
  }
  return [...groups]
    .sort(([a], [b]) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b, undefined, { numeric: true })))
    .map(([value, list]) => ({ value, nodes: list }));
}

/** A virtual list's item: a group's heading, or a row of up to `perRow` nodes. */
export type ListItem =
  | { kind: 'group'; key: string; value: string | null; count: number; online: number }
  | { kind: 'nodes'; key: string; nodes: Node[] };

export function listItems(groups: readonly Group[], perRow: number, withHeadings: boolean): ListItem[] {
  const items: ListItem[] = [];
  for (const g of groups) {
    const groupKey = g.value ?? '\u0000none';
    if (withHeadings) {
      const online = g.nodes.filter((n) => n.status === 'online').length;
      items.push({ kind: 'group', key: `g:${groupKey}`, value: g.value, count: g.nodes.length, online });
    }
    for (let i = 0; i < g.nodes.length; i += perRow) {
      const row = g.nodes.slice(i, i + perRow);
      items.push({ kind: 'nodes', key: `n:${row[0]?.id}`, nodes: row });
    }
  }
  return items;
}

/**
 * Whether a node's figures are live. Offline nodes keep their last values, greyed with their age;
 * with the master unreachable every node is as of the outage.
 */
export function staleness(node: Node, staleSince: number | null): { stale: boolean; since: number | null } {
  if (node.status !== 'online') return { stale: true, since: node.lastSeenAt };
  if (staleSince !== null) return { stale: true, since: staleSince };
  return { stale: false, since: null };
}

/** The OS family an icon is drawn for, from the agent's OS text ("Ubuntu 24.04.1 LTS", "darwin"…). */
export type OsFamily =
  | 'ubuntu'
  | 'debian'
  | 'redhat'
  | 'fedora'
  | 'centos'
  | 'alpine'
  | 'arch'
  | 'suse'
  | 'linux'
  | 'apple'
  | 'windows'
  | 'freebsd'
  | 'unknown';

const OS_PATTERNS: Array<[RegExp, OsFamily]> = [
  [/ubuntu/i, 'ubuntu'],
  [/debian/i, 'debian'],
  [/fedora/i, 'fedora'],
  [/centos|rocky|alma/i, 'centos'],
  [/red ?hat|rhel/i, 'redhat'],
  [/alpine/i, 'alpine'],
  [/arch|manjaro/i, 'arch'],
  [/suse/i, 'suse'],
  [/darwin|mac ?os|os x/i, 'apple'],
  [/windows|win32/i, 'windows'],
  [/freebsd/i, 'freebsd'],
  [/linux/i, 'linux'],
];

export function osFamily(node: Pick<Node, 'os' | 'platform'>): OsFamily {
  const text = `${node.os ?? ''} ${node.platform ?? ''}`;
  return OS_PATTERNS.find(([pattern]) => pattern.test(text))?.[1] ?? 'unknown';
}

const VIEW_KEY = 'fleetdeck.fleet.view';
const GROUP_KEY = 'fleetdeck.fleet.groupBy';

/** The view the user chose last in this browser (the table until they choose). */
export function savedView(storage: Pick<Storage, 'getItem'> = localStorage): FleetView {
  return storage.getItem(VIEW_KEY) === 'cards' ? 'cards' : 'table';
}

export function saveView(view: FleetView, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(VIEW_KEY, view);
}

export function savedGroup(storage: Pick<Storage, 'getItem'> = localStorage): string | null {
  return storage.getItem(GROUP_KEY) || null;
}

export function saveGroup(key: string | null, storage: Pick<Storage, 'setItem' | 'removeItem'> = localStorage): void {
  if (key) storage.setItem(GROUP_KEY, key);
  else storage.removeItem(GROUP_KEY);
}
