// Keeps the react-query cache true to the master's events: node status is patched into the cached
// lists by id (batched, so ten thousand events cost one list copy), nodes that came online or changed
// are fetched by id (a burst: the list, once), other changes that carry no data are refetched at most
// once per second, and a reconnect refetches what the stream may have missed.
import type { InfiniteData, QueryClient, QueryKey } from '@tanstack/react-query';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { isTerminalStatus } from '../../main/contract/command-status.js';
import type { Client, OutputOf } from '../../main/contract/contract.js';
import type { CommandView } from '../../main/contract/queue-schemas.js';
import {
  type NodePatch,
  type NodeView,
  patchNodes,
  StatusLedger,
  shareNodes,
  Throttle,
  upsertNodes,
} from './cache-patch.js';
import { type CommandPatch, patchCommand, patchCommandPages } from './command-patch.js';
import { appendLiveOutput } from './live-output.js';
import type { Transport } from './transport.js';

/** Patches are applied this often at most (one list copy per flush). */
const PATCH_FLUSH_MS = 200;
/** A query refetched because of events is refetched at most this often (and this long after its last answer). */
export const REFETCH_MIN_INTERVAL_MS = 1_000;
/**
 * Nodes that came online or changed are fetched one by one (`getNode`) up to this many a second; more,
 * and the whole list is fetched instead. A fleet of 10,000 has a node reconnecting most seconds, and the
 * whole list each second (parsed, compared, re-sorted) kept the page's main thread nine tenths busy.
 */
export const NODE_FETCH_MAX = 20;

const ledger = new StatusLedger();
const NONE: ReadonlySet<string> = new Set();

/** The node list query every screen shares; status events that overtook the fetch are kept. */
/**
 * The node list is the one big read (10,000 rows in a large fleet): whatever asks for it (an event
 * refetch, a screen mounting on stale data, a retry), the master sees it at most once a second.
 */
let lastListAt = Number.NEGATIVE_INFINITY;
async function spacedListRequest(): Promise<void> {
  const wait = lastListAt + REFETCH_MIN_INTERVAL_MS - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  lastListAt = Date.now();
}

export function nodesQuery(client: Client) {
  return {
    queryKey: ['nodes'],
    queryFn: async (): Promise<NodeView[]> => {
      await spacedListRequest();
      const mark = ledger.mark();
      const list = await client.listNodes({});
      return patchNodes(list, ledger.since(mark), NONE);
    },
    structuralSharing: (previous: unknown, next: unknown) =>
      shareNodes(previous as NodeView[] | undefined, next as NodeView[]),
  };
}

export function startEventSync(transport: Transport, queryClient: QueryClient): () => void {
  const throttle = new Throttle(REFETCH_MIN_INTERVAL_MS);
  const patches = new Map<string, NodePatch>();
  const deleted = new Set<string>();
  let flushTimer: ReturnType<typeof setTimeout> | null = null;

  /** Marks the queries stale and refetches the active ones; never cancels one in flight. */
  // Spaced from the last answer as well as the last request: a request the busy page sent late must not
  // be followed by the next one less than the interval later. (Not dataUpdatedAt: patches move that.)
  const answered = new Map<string, number>();
  const stopWatchingFetches = queryClient.getQueryCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'success' && !event.action.manual) {
      answered.set(JSON.stringify(event.query.queryKey), Date.now());
    }
  });
  const refetch = (queryKey: QueryKey) => {
    const id = JSON.stringify(queryKey);
    throttle.request(
      id,
      () => {
        void queryClient.invalidateQueries({ queryKey }, { cancelRefetch: false });
      },
      () => answered.get(id) ?? Number.NEGATIVE_INFINITY,
    );
  };
  const refetchIfCached = (queryKey: QueryKey) => {
    if (queryClient.getQueryState(queryKey)) refetch(queryKey);
  };

  /** Nodes whose hello or settings moved since the last fetch of them. */
  const changedNodes = new Set<string>();
  const fetchChangedNodes = async () => {
    const ids = [...changedNodes];
    changedNodes.clear();
    if (ids.length === 0) return;
    if (!queryClient.getQueryData(['nodes']) || ids.length > NODE_FETCH_MAX) return refetch(['nodes']);
    const mark = ledger.mark();
    let fetched: NodeView[];
    try {
      fetched = await Promise.all(ids.map((id) => transport.call('getNode', { id })));
    } catch {
      // Gone, out of this caller's scope, or the master is away: the list says which.
      return refetch(['nodes']);
    }
    // Status events that came while these were asked for are newer than their answers.
    queryClient.setQueryData<NodeView[]>(
      ['nodes'],
      (list) => list && patchNodes(upsertNodes(list, fetched), ledger.since(mark), NONE),
    );
  };
  const nodeChanged = (nodeId: string) => {
    changedNodes.add(nodeId);
    throttle.request('nodes:changed', () => void fetchChangedNodes());
  };

  const flush = () => {
    flushTimer = null;
    queryClient.setQueryData<NodeView[]>(['nodes'], (list) => list && patchNodes(list, patches, deleted));
    // The node pages in the cache (a few), not a lookup per patch (10,000 in a storm, each hashing its key).
    for (const query of queryClient.getQueryCache().findAll({ queryKey: ['node'] })) {
      const [, id] = query.queryKey;
      const patch = query.queryKey.length === 2 && typeof id === 'string' ? patches.get(id) : undefined;
      if (patch) {
        queryClient.setQueryData<OutputOf<'getNode'>>(query.queryKey, (node) => node && { ...node, ...patch });
      }
    }
    patches.clear();
    deleted.clear();
  };
  const schedule = () => {
    flushTimer ??= setTimeout(flush, PATCH_FLUSH_MS);
  };

  const hub = transport.events;
  const offs = [
    hub.on('nodeStatus', ({ nodeId, status, at, sameHello }) => {
      const online = status === 'online';
      const patch: NodePatch = online ? { status, connectedSince: at, lastSeenAt: at } : { status, lastSeenAt: at };
      patches.set(nodeId, patch);
      ledger.record(nodeId, patch);
      schedule();
      refetchIfCached(['uptime', nodeId]);
      // Coming online carries a new hello (capabilities, host facts, agent version) the event does not:
      // fetch the node by id, through the throttle, so a reconnect storm still costs one list a second.
      // Unless the master says the hello is the one it had: the patch is then the whole change.
      if (online && !sameHello) {
        nodeChanged(nodeId);
        refetchIfCached(['node', nodeId]);
      }
    }),
    // A reconnect, a rename, new host facts: the event says only which node, so fetch it.
    hub.on('nodeChanged', ({ nodeId }) => {
      nodeChanged(nodeId);
      refetchIfCached(['node', nodeId]);
    }),
    hub.on('nodeDeleted', ({ nodeId }) => {
      deleted.add(nodeId);
      schedule();
      refetchIfCached(['node', nodeId]);
    }),
    hub.on('commandStatus', (event) => {
      patchCommandLists(queryClient, event);
      // Finished: its stored output, duration and exit code; lists: new rows and filters' membership.
      if (isTerminalStatus(event.status)) refetchIfCached(['command', event.id]);
      refetch(['commands']);
      if (!event.taskRunId) return;
      refetch(['taskRuns']);
      refetchIfCached(['run', event.taskRunId]);
    }),
    hub.on('commandOutput', ({ id, stream, data }) => appendLiveOutput(id, stream, data)),
    hub.on('taskRunStatus', ({ taskId, id }) => {
      refetch(['taskRuns', taskId]);
      refetchIfCached(['run', id]);
      // A scheduled run moves the task's next run times.
      refetch(['tasks']);
    }),
    // An alert changed state (or was acknowledged or silenced): the lists and the history moved.
    hub.on('alertChanged', () => {
      refetch(['alerts']);
      refetch(['alertHistory']);
    }),
    // A notification attempt finished: the channel's health and the delivery log moved.
    hub.on('notifyDelivery', () => {
      refetchIfCached(['notifyChannels']);
      refetch(['notifyDeliveries']);
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
    stopWatchingFetches();
    throttle.cancel();
    if (flushTimer) clearTimeout(flushTimer);
  };
}

/** A command's new status in every cached list and view of it (paged lists, fan-outs, the command). */
function patchCommandLists(queryClient: QueryClient, patch: CommandPatch): void {
  for (const query of queryClient.getQueryCache().findAll({ queryKey: ['commands'] })) {
    const data = query.state.data;
    if (data && typeof data === 'object' && 'pages' in data) {
      const patched = patchCommandPages(data as InfiniteData<CommandView[]>, patch);
      if (patched.found) queryClient.setQueryData(query.queryKey, patched.data);
    } else if (Array.isArray(data)) {
      queryClient.setQueryData<CommandView[]>(query.queryKey, (rows) => rows?.map((r) => patchCommand(r, patch)));
    }
  }
  queryClient.setQueryData<CommandView>(['command', patch.id], (row) => row && patchCommand(row, patch));
}

/** Mounted once for the app's lifetime, next to the transport. */
export function useEventSync(transport: Transport): void {
  const queryClient = useQueryClient();
  useEffect(() => startEventSync(transport, queryClient), [transport, queryClient]);
}
