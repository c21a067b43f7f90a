// The pure parts of keeping the cache true to events (sync.ts): node patches by id, a ledger of
// recent status events, and a per-key throttle. Imports carry .js so unit tests run them under Node.
import type { OutputOf } from '../../main/contract/contract.js';

export type NodeView = OutputOf<'listNodes'>[number];
export type NodePatch = Partial<Pick<NodeView, 'status' | 'connectedSince' | 'lastSeenAt'>>;

/**
 * Runs `fn(key)` at most once per interval per key: at once when idle, otherwise once at the end of
 * the interval for everything that asked meanwhile.
 */
export class Throttle {
  private readonly lastRun = new Map<string, number>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** `lastDone`: when the work last actually finished (a fetch answered), if later than its last run. */
  request(id: string, fn: () => void, lastDone: () => number = () => Number.NEGATIVE_INFINITY): void {
    if (this.timers.has(id)) return;
    const remaining = () =>
      Math.max(this.lastRun.get(id) ?? Number.NEGATIVE_INFINITY, lastDone()) + this.intervalMs - this.now();
    // Checked again when the timer fires: the last fetch may have answered late meanwhile.
    const run = () => {
      this.timers.delete(id);
      const wait = remaining();
      if (wait > 0) {
        this.timers.set(id, setTimeout(run, wait));
        return;
      }
      this.lastRun.set(id, this.now());
      fn();
    };
    run();
  }

  cancel(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Applies one batch of patches (and deletions) to a node list: one copy, by id. */
export function patchNodes(
  list: NodeView[],
  patches: ReadonlyMap<string, NodePatch>,
  deleted: ReadonlySet<string>,
): NodeView[] {
  let changed = false;
  const out: NodeView[] = [];
  for (const node of list) {
    if (deleted.has(node.id)) {
      changed = true;
      continue;
    }
    const patch = patches.get(node.id);
    if (patch) {
      changed = true;
      out.push({ ...node, ...patch });
    } else out.push(node);
  }
  return changed ? out : list;
}

/** Puts nodes fetched one by one into the list: each replaces the node of its id, or is added at the end. */
export function upsertNodes(list: NodeView[], fetched: readonly NodeView[]): NodeView[] {
  if (fetched.length === 0) return list;
  const byId = new Map(fetched.map((n) => [n.id, n]));
  const out = list.map((node) => {
    const next = byId.get(node.id);
    if (!next) return node;
    byId.delete(node.id);
    return next;
  });
  for (const node of byId.values()) out.push(node);
  return out;
}

/**
 * The node list's structural sharing (react-query's own compares every field of every node with a
 * copy of each, 30–60 ms and much garbage for 10,000 nodes): each node of `next` equal to the node of
 * the same id in `previous` is replaced by that one, so rows of unchanged nodes keep their identity and
 * do not redraw; `previous` itself when nothing changed. `next` (a fresh list) is updated in place.
 */
export function shareNodes(previous: readonly NodeView[] | undefined, next: NodeView[]): NodeView[] {
  if (!previous || previous === next) return next;
  let byId: Map<string, NodeView> | null = null;
  let unchanged = previous.length === next.length;
  for (let i = 0; i < next.length; i++) {
    const node = next[i] as NodeView;
    let before = previous[i];
    if (before?.id !== node.id) {
      byId ??= new Map(previous.map((n) => [n.id, n]));
      before = byId.get(node.id);
      unchanged = false;
    }
    if (before !== undefined && before !== node && sameValue(before, node)) next[i] = before;
    else if (before !== node) unchanged = false;
  }
  return unchanged ? (previous as NodeView[]) : next;
}

/** Deep equality of JSON values, allocating nothing. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (!Object.hasOwn(y, key) || !sameValue(x[key], y[key])) return false;
    keys += 1;
  }
  for (const _key in y) keys -= 1;
  return keys === 0;
}

/**
 * Status events in arrival order, kept a while: a node list whose fetch began before some of them
 * arrived is answered as of before them, so they are applied again on top of it.
 */
export class StatusLedger {
  private seq = 0;
  private readonly entries = new Map<string, { seq: number; at: number; patch: NodePatch }>();

  constructor(
    private readonly keepMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  mark(): number {
    return this.seq;
  }

  record(nodeId: string, patch: NodePatch): void {
    this.seq += 1;
    this.entries.delete(nodeId);
    this.entries.set(nodeId, { seq: this.seq, at: this.now(), patch });
    const oldest = this.now() - this.keepMs;
    for (const [id, entry] of this.entries) {
      if (entry.at >= oldest) break;
      this.entries.delete(id);
    }
  }

  since(mark: number): Map<string, NodePatch> {
    const out = new Map<string, NodePatch>();
    for (const [id, entry] of this.entries) if (entry.seq > mark) out.set(id, entry.patch);
    return out;
  }
}
