// Keeps the react-query cache true to the master's events: node status is patched into the cached
// lists by id (batched, so ten thousand events cost one list copy), changes that carry no data are
// refetched at most once per second, and a reconnect refetches what the stream may have missed.
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';
import type { Transport } from './transport';

type NodeView = OutputOf<'listNodes'>[number];
type NodePatch = Partial<Pick<NodeView, 'status' | 'connectedSince' | 'lastSeenAt'>>;

/** Patches are applied this often at most (one list copy per flush). */
const PATCH_FLUSH_MS = 200;
/** A query refetched because of events is refetched at most this often. */
export const REFETCH_MIN_INTERVAL_MS = 1_000;

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

  request(id: string, fn: () => void): void {
    if (this.timers.has(id)) return;
    const wait = (this.lastRun.get(id) ?? Number.NEGATIVE_INFINITY) + this.intervalMs - this.now();
    const run = () => {
      this.timers.delete(id);
      this.lastRun.set(id, this.now());
      fn();
    };
    if (wait <= 0) run();
    else this.timers.set(id, setTimeout(run, wait));
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

const ledger = new StatusLedger();
const NONE: ReadonlySet<string> = new Set();

/** The node list query every screen shares; status events that overtook the fetch are kept. */
export function nodesQuery(client: Client) {
  return {
    queryKey: ['nodes'],
    queryFn: async (): Promise<NodeView[]> => {
      const mark = ledger.mark();
      const list = await client.listNodes({});
      return patchNodes(list, ledger.since(mark), NONE);
    },
  };
}

export function startEventSync(transport: Transport, queryClient: QueryClient): () => void {
  const throttle = new Throttle(REFETCH_MIN_INTERVAL_MS);
  const patches = new Map<string, NodePatch>();
  const deleted = new Set<string>();
  let flushTimer: ReturnType<typeof setTimeout> | null = null;

  /** Marks the queries stale and refetches the active ones; never cancels one in flight. */
  const refetch = (queryKey: QueryKey) =>
    throttle.request(JSON.stringify(queryKey), () => {
      void queryClient.invalidateQueries({ queryKey }, { cancelRefetch: false });
    });
  const refetchIfCached = (queryKey: QueryKey) => {
    if (queryClient.getQueryState(queryKey)) refetch(queryKey);
  };

  const flush = () => {
    flushTimer = null;
    queryClient.setQueryData<NodeView[]>(['nodes'], (list) => list && patchNodes(list, patches, deleted));
    for (const [id, patch] of patches) {
      queryClient.setQueryData<OutputOf<'getNode'>>(['node', id], (node) => node && { ...node, ...patch });
    }
    patches.clear();
    deleted.clear();
  };
  const schedule = () => {
    flushTimer ??= setTimeout(flush, PATCH_FLUSH_MS);
  };

  const hub = transport.events;
  const offs = [
    hub.on('nodeStatus', ({ nodeId, status, at }) => {
      const online = status === 'online';
      const patch: NodePatch = online ? { status, connectedSince: at, lastSeenAt: at } : { status, lastSeenAt: at };
      patches.set(nodeId, patch);
      ledger.record(nodeId, patch);
      schedule();
      refetchIfCached(['uptime', nodeId]);
    }),
    // A reconnect, a rename, new host facts: the event says only which node, so fetch it.
    hub.on('nodeChanged', ({ nodeId }) => {
      refetch(['nodes']);
      refetchIfCached(['node', nodeId]);
    }),
    hub.on('nodeDeleted', ({ nodeId }) => {
      deleted.add(nodeId);
      schedule();
      refetchIfCached(['node', nodeId]);
    }),
    hub.on('commandStatus', ({ taskRunId }) => {
      if (!taskRunId) return;
      refetch(['taskRuns']);
      refetchIfCached(['run', taskRunId]);
    }),
    hub.on('taskRunStatus', ({ taskId, id }) => {
      refetch(['taskRuns', taskId]);
      refetchIfCached(['run', id]);
      // A scheduled run moves the task's next run times.
      refetch(['tasks']);
    }),
    hub.onOpened(({ first, resumed }) => {
      if (first) return;
      // Resumed: every event since the last id was replayed; only what failed meanwhile is refetched.
      if (resumed) void queryClient.invalidateQueries({ predicate: (q) => q.state.status === 'error' });
      else {
        // The node list goes through the throttle like event refetches, so a storm of reconnects
        // and node events still costs one list per second.
        void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'nodes' });
        refetch(['nodes']);
      }
    }),
  ];
  return () => {
    for (const off of offs) off();
    throttle.cancel();
    if (flushTimer) clearTimeout(flushTimer);
  };
}

/** Mounted once for the app's lifetime, next to the transport. */
export function useEventSync(transport: Transport): void {
  const queryClient = useQueryClient();
  useEffect(() => startEventSync(transport, queryClient), [transport, queryClient]);
}
