// The renderer's node-list sync (renderer/src/sync.ts) with a real react-query cache and event hub: a
// node that comes online or changes is fetched by id and put into the cached list; a burst of them
// fetches the list once instead. The master is stood in by a recording `call` (the browser tests drive
// the real one); what is asserted is which requests the page makes and what the cache then holds.
import { QueryClient, QueryObserver } from '@tanstack/react-query';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeView } from '../../renderer/src/cache-patch.js';
import { EventHub } from '../../renderer/src/events.js';
import { NODE_FETCH_MAX, startEventSync } from '../../renderer/src/sync.js';
import type { Transport } from '../../renderer/src/transport.js';

const node = (id: string, agentVersion = '1.0.0', status = 'offline') =>
  ({ id, name: id, status, agentVersion, labels: {} }) as never as NodeView;

const stops: Array<() => void> = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function setUp(list: NodeView[], onMaster: Map<string, NodeView>) {
  const calls: string[] = [];
  const hub = new EventHub();
  const transport = {
    events: hub,
    call: async (name: string, input: { id?: string }) => {
      calls.push(input.id ? `${name} ${input.id}` : name);
      if (name === 'getNode') return onMaster.get(input.id as string);
      if (name === 'listNodes') return [...onMaster.values()];
      throw new Error(`unexpected ${name}`);
    },
  } as never as Transport;
  const queryClient = new QueryClient();
  queryClient.setQueryData(['nodes'], list);
  // The shell's nodes query, mounted (an invalidation refetches only what is watched).
  const observer = new QueryObserver(queryClient, {
    queryKey: ['nodes'],
    queryFn: () => transport.call('listNodes', {}),
    staleTime: Number.POSITIVE_INFINITY,
  });
  stops.push(observer.subscribe(() => undefined));
  stops.push(startEventSync(transport, queryClient));
  return { hub, calls, queryClient };
}

describe('node list sync', () => {
  it('fetches a node that came online by id and puts its new hello into the list, the list not fetched', async () => {
    const list = Array.from({ length: 100 }, (_v, i) => node(`n${i}`));
    const onMaster = new Map(list.map((n) => [n.id, n]));
    onMaster.set('n7', node('n7', '2.0.0', 'online'));
    const { hub, calls, queryClient } = setUp(list, onMaster);
    hub.emit({ event: 'nodeStatus', data: { nodeId: 'n7', status: 'online', at: 5, reason: 'hello' } } as never);
    await until(() => queryClient.getQueryData<NodeView[]>(['nodes'])?.[7]?.agentVersion === '2.0.0');
    const cached = queryClient.getQueryData<NodeView[]>(['nodes']) ?? [];
    expect(cached).toHaveLength(100);
    expect(cached[7]?.status).toBe('online');
    // The others are the same objects: their rows do not redraw.
    expect(cached[6]).toBe(list[6]);
    expect(calls).toEqual(['getNode n7']);
  });

  it('a storm of nodes back with the hello they had fetches nothing: the status is patched in', async () => {
    const list = Array.from({ length: 1_000 }, (_v, i) => node(`n${i}`));
    const { hub, calls, queryClient } = setUp(list, new Map(list.map((n) => [n.id, n])));
    // A node page open on one of them.
    queryClient.setQueryData(['node', 'n3'], node('n3'));
    for (const n of list) {
      hub.emit({
        event: 'nodeStatus',
        data: { nodeId: n.id, status: 'online', at: 9, reason: 'connected', sameHello: true },
      } as never);
    }
    await until(() => queryClient.getQueryData<NodeView[]>(['nodes'])?.every((n) => n.status === 'online') === true);
    expect(queryClient.getQueryData<NodeView[]>(['nodes'])?.[500]?.connectedSince).toBe(9);
    expect(queryClient.getQueryData<NodeView>(['node', 'n3'])).toMatchObject({ status: 'online', connectedSince: 9 });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(calls).toEqual([]);
  });

  it('a burst of more than NODE_FETCH_MAX changed nodes in a second fetches the list, once', async () => {
    const list = Array.from({ length: 100 }, (_v, i) => node(`n${i}`));
    const onMaster = new Map(list.map((n) => [n.id, node(n.id, '3.0.0')]));
    const { hub, calls, queryClient } = setUp(list, onMaster);
    // The first runs at once (one node); the rest are held for the second and come as one list.
    for (let i = 0; i <= NODE_FETCH_MAX + 5; i++)
      hub.emit({ event: 'nodeChanged', data: { nodeId: `n${i}` } } as never);
    await until(() => calls.includes('listNodes'));
    await until(() => queryClient.getQueryData<NodeView[]>(['nodes'])?.[50]?.agentVersion === '3.0.0');
    expect(calls).toEqual(['getNode n0', 'listNodes']);
  });
});

async function until(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !probe(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(probe()).toBe(true);
}
