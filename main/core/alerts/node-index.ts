// What evaluation needs to know about every node, in memory: name, labels (rule scopes), status and
// since when (offline rules), agent version. Loaded whole at start and every 30 s; nodes named by
// status and change events are re-read within a second, so a relabelled node is scoped anew at once.
import type { AlertScope } from '../../contract/alert-schemas.js';
import { hasLabels } from '../../contract/labels.js';
import type { NodeView } from '../../contract/schemas.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';

/** What the index reads the fleet from (the registry). */
export interface NodeSource {
  listPage(afterId: string | null, limit: number): Promise<NodeView[]>;
  get(id: string): Promise<NodeView>;
}

export interface IndexedNode {
  id: string;
  name: string;
  labels: Record<string, string>;
  status: NodeView['status'];
  /** When it went offline (its last-seen time where known), else null. */
  offlineSince: number | null;
  agentVersion: string | null;
  revoked: boolean;
}

const FULL_REFRESH_MS = 30_000;
const DIRTY_REFRESH_MS = 500;
/** Nodes per read of a full refresh; the loop yields between pages so samples keep flowing. */
const REFRESH_PAGE = 500;

export function inScope(scope: AlertScope, node: Pick<IndexedNode, 'id' | 'labels'>): boolean {
  const byId = scope.nodeIds !== undefined && scope.nodeIds.length > 0;
  const bySelector = scope.selector !== undefined && Object.keys(scope.selector).length > 0;
  if (!byId && !bySelector) return true;
  if (byId && scope.nodeIds?.includes(node.id)) return true;
  return bySelector && hasLabels(node.labels, Object.entries(scope.selector ?? {}));
}

function indexed(n: NodeView, previous: IndexedNode | undefined): IndexedNode {
  const offline = n.status === 'offline';
  // Keep the time a status event gave when it is earlier than the persisted last-seen.
  const known = offline ? (previous?.status === 'offline' ? previous.offlineSince : null) : null;
  const lastSeen = offline ? (n.lastSeenAt ?? n.updatedAt) : null;
  return {
    id: n.id,
    name: n.name,
    labels: n.labels,
    status: n.status,
    offlineSince: offline ? Math.min(known ?? Number.POSITIVE_INFINITY, lastSeen ?? Number.POSITIVE_INFINITY) : null,
    agentVersion: n.agentVersion,
    revoked: n.revoked,
  };
}

export class NodeIndex {
  private readonly nodes = new Map<string, IndexedNode>();
  private readonly dirty = new Set<string>();
  /** Nodes whose status is not online: the offline rules visit these, not the whole fleet, each tick. */
  private readonly notOnlineIds = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | null = null;
  /** Bumped whenever a node's name, labels or existence change (scope caches key on it). */
  generation = 0;

  constructor(
    private readonly registry: NodeSource,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly onChange: (nodeIds: string[]) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    await this.refreshAll();
    this.unsubscribe = this.bus.subscribe((message) => {
      if (message.event === 'nodeStatus') {
        this.applyStatus(message.data.nodeId, message.data.status, message.data.at);
        this.dirty.add(message.data.nodeId);
      } else if (message.event === 'nodeChanged') this.dirty.add(message.data.nodeId);
      else if (message.event === 'nodeDeleted') this.remove(message.data.nodeId);
    });
    const full = setInterval(
      () => void this.refreshAll().catch((err) => this.log.warn({ err }, 'node index')),
      FULL_REFRESH_MS,
    );
    const dirty = setInterval(() => void this.refreshDirty(), DIRTY_REFRESH_MS);
    full.unref();
    dirty.unref();
    this.timers = [full, dirty];
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.unsubscribe?.();
  }

  get(id: string): IndexedNode | undefined {
    return this.nodes.get(id);
  }

  all(): IterableIterator<IndexedNode> {
    return this.nodes.values();
  }

  /** The nodes that are offline or have never connected (a handful in a healthy fleet). */
  *notOnline(): IterableIterator<IndexedNode> {
    for (const id of this.notOnlineIds) {
      const node = this.nodes.get(id);
      if (node) yield node;
    }
  }

  private track(node: IndexedNode): void {
    if (node.status === 'online') this.notOnlineIds.delete(node.id);
    else this.notOnlineIds.add(node.id);
  }

  /** Known at once from the event; the row (with its last-seen time) follows on the next refresh. */
  private applyStatus(id: string, status: 'online' | 'offline', at: number): void {
    const node = this.nodes.get(id);
    if (!node) return;
    node.status = status;
    node.offlineSince = status === 'offline' ? Math.min(at, node.offlineSince ?? at) : null;
    this.track(node);
  }

  private remove(id: string): void {
    if (this.nodes.delete(id)) this.generation += 1;
    this.notOnlineIds.delete(id);
    this.dirty.delete(id);
    this.onChange([id]);
  }

  /** Reads the whole fleet again (every 30 s, and after a storm of changes). */
  async refreshAll(): Promise<void> {
    // Only nodes indexed before the walk can be found gone: one created meanwhile (put by its
    // event) may sort before the pages already read.
    const before = new Set(this.nodes.keys());
    const seen = new Set<string>();
    let after: string | null = null;
    for (;;) {
      const page = await this.registry.listPage(after, REFRESH_PAGE);
      for (const n of page) {
        seen.add(n.id);
        this.put(n);
      }
      if (page.length < REFRESH_PAGE) break;
      after = (page[page.length - 1] as NodeView).id;
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const id of before) if (!seen.has(id) && this.nodes.has(id)) this.remove(id);
  }

  private async refreshDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      // A reconnect storm names thousands: one list then beats one read each.
      if (ids.length > 50) return await this.refreshAll();
      for (const id of ids) {
        const n = await this.registry.get(id).catch(() => null);
        if (n) this.put(n);
        else this.remove(id);
      }
    } catch (err) {
      for (const id of ids) this.dirty.add(id);
      this.log.warn({ err }, 'could not refresh nodes for alert rules');
    }
  }

  private put(n: NodeView): void {
    const before = this.nodes.get(n.id);
    const next = indexed(n, before);
    this.nodes.set(n.id, next);
    this.track(next);
    const moved = !before || before.name !== next.name || JSON.stringify(before.labels) !== JSON.stringify(next.labels);
    if (moved) {
      this.generation += 1;
      this.onChange([n.id]);
    }
  }
}
