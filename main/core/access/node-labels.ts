// Every node's name and labels in memory, for authorization: a label-scoped check costs a map read
// per node, never a database read per call. Loaded whole at start and every minute; a node named by
// a change event (relayed from every instance) is dropped and read again the next time it is asked
// for, so a relabelled node is judged by its new labels at once.
import type { NodeView } from '../../contract/schemas.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';

export interface LabelledNode {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface NodeSource {
  list(): Promise<NodeView[]>;
  get(id: string): Promise<NodeView>;
}

const FULL_REFRESH_MS = 60_000;

export class NodeLabels {
  private readonly nodes = new Map<string, LabelledNode>();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Nodes changed while a full read was under way: its (older) rows must not overwrite them. */
  private changedDuringRefresh: Set<string> | null = null;

  constructor(
    private readonly source: NodeSource,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = this.bus.subscribe((message) => {
      if (message.event !== 'nodeChanged' && message.event !== 'nodeDeleted') return;
      const id = message.data.nodeId;
      this.nodes.delete(id);
      this.changedDuringRefresh?.add(id);
      // Read it again now, so events and checks right after the change find it in memory.
      if (message.event === 'nodeChanged') void this.get(id);
    });
    await this.refresh();
    this.timer = setInterval(
      () => void this.refresh().catch((err) => this.log.warn({ err }, 'node labels')),
      FULL_REFRESH_MS,
    );
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
  }

  /** From memory (undefined when not known here yet: ask `get`). */
  peek(id: string): LabelledNode | undefined {
    return this.nodes.get(id);
  }

  /** From memory, else read once; null when there is no such node. */
  async get(id: string): Promise<LabelledNode | null> {
    const known = this.nodes.get(id);
    if (known) return known;
    const view = await this.source.get(id).catch(() => null);
    if (!view) return null;
    return this.put(view);
  }

  private async refresh(): Promise<void> {
    const changed = new Set<string>();
    this.changedDuringRefresh = changed;
    const list = await this.source.list().finally(() => {
      this.changedDuringRefresh = null;
    });
    const seen = new Set<string>();
    for (const view of list) {
      seen.add(view.id);
      if (!changed.has(view.id)) this.put(view);
    }
    for (const id of [...this.nodes.keys()]) if (!seen.has(id)) this.nodes.delete(id);
  }

  private put(view: NodeView): LabelledNode {
    const entry = { id: view.id, name: view.name, labels: view.labels };
    this.nodes.set(view.id, entry);
    return entry;
  }
}
