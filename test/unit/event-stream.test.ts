// The admin event stream's ids and replay buffer, and the renderer's side of it: parsing, backoff,
// throttled refetches and node patches by id.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../main/contract/contract.js';
import { EventBus } from '../../main/core/events.js';
import { EventStreams, ReplayLog } from '../../main/server/event-stream.js';
import { type NodeView, patchNodes, StatusLedger, shareNodes, Throttle } from '../../renderer/src/cache-patch.js';
import { EventHub } from '../../renderer/src/events.js';
import { backoffMs, handleInSlices, parseEvent, runEventStream, SilenceWatch } from '../../renderer/src/sse.js';

const status = (nodeId: string, at = 1): AnyEvent => ({
  event: 'nodeStatus',
  data: { nodeId, status: 'offline', at, reason: 'test' },
});
const idOf = (frame: string) => /^id: (\S+)$/m.exec(frame)?.[1];

describe('replay log', () => {
  it('gives every event but metrics an id and replays what came after a known id', () => {
    const log = new ReplayLog({ events: 100, bytes: 1 << 20 });
    const first = log.append(status('a'));
    const metrics = log.append({ event: 'metrics', data: { t: 1, nodes: [] } });
    const second = log.append(status('b'));
    expect(idOf(metrics)).toBeUndefined();
    expect(log.since(idOf(first))).toEqual([second]);
    expect(log.since(idOf(second))).toEqual([]);
  });

  it('cannot resume from an id of another process, one it evicted, one from the future or garbage', () => {
    const log = new ReplayLog({ events: 2, bytes: 1 << 20 });
    const frames = ['a', 'b', 'c', 'd'].map((id) => log.append(status(id)));
    expect(log.since(idOf(frames[0] as string))).toBeNull();
    expect(log.since(idOf(frames[1] as string))).toEqual([frames[2], frames[3]]);
    expect(log.since(`${new ReplayLog().epoch}.1`)).toBeNull();
    expect(log.since(`${log.epoch}.99`)).toBeNull();
    for (const bad of [undefined, '', 'x', `${log.epoch}.1\nevent: x`, 'a'.repeat(100)]) {
      expect(log.since(bad)).toBeNull();
    }
  });

  it('stays within its byte bound', () => {
    const log = new ReplayLog({ events: 1_000_000, bytes: 10_000 });
    const frames = Array.from({ length: 1_000 }, (_v, i) => log.append(status(`n${i}`)));
    const resumable = frames.findIndex((f) => log.since(idOf(f)) !== null);
    const replay = log.since(idOf(frames[resumable] as string)) ?? [];
    expect(resumable).toBeGreaterThan(800);
    expect(replay.length).toBe(999 - resumable);
    expect(replay.join('').length).toBeLessThanOrEqual(10_000);
  });
});

describe('renderer event parsing and backoff', () => {
  it('accepts contract events and drops unknown names, bad JSON and wrong shapes', () => {
    expect(parseEvent('nodeStatus', JSON.stringify(status('a').data))?.event).toBe('nodeStatus');
    expect(parseEvent('toString', '{}')).toBeNull();
    expect(parseEvent('nodeStatus', '{')).toBeNull();
    expect(parseEvent('nodeStatus', '{"nodeId":"a"}')).toBeNull();
    expect(parseEvent('metrics', '{"t":1}')).toBeNull();
  });

  it('handles a burst in order, in slices the page can paint between (a timer set before it runs within it)', async () => {
    const handled: number[] = [];
    let timerAt = -1;
    setTimeout(() => {
      timerAt = handled.length;
    }, 0);
    // 50 events of 1 ms of work each (a render, say): at most 4 ms of them before the loop turns.
    await handleInSlices(
      Array.from({ length: 50 }, (_v, i) => i),
      (i) => {
        const until = performance.now() + 1;
        while (performance.now() < until);
        handled.push(i);
      },
    );
    expect(handled).toEqual(Array.from({ length: 50 }, (_v, i) => i));
    expect(timerAt).toBeGreaterThan(0);
    expect(timerAt).toBeLessThan(50);
  });

  it('counts as silence only the time the page could have read: a main thread busy for seconds is not a lost stream', () => {
    const watch = new SilenceWatch(4_000, 500, 0);
    // Checks on time, nothing heard: silent after 4 s.
    let now = 0;
    const checkUntil = (end: number) => {
      let silent = false;
      for (; now < end && !silent; ) {
        now += 500;
        silent = watch.silent(now);
      }
      return silent;
    };
    expect(checkUntil(3_500)).toBe(false);
    watch.heard(now);
    // The page rendered for 6 s (no check ran meanwhile), then its checks resume on time.
    now += 6_000;
    expect(watch.silent(now)).toBe(false);
    expect(checkUntil(now + 3_500)).toBe(false);
    // Still nothing: now it is silence.
    expect(checkUntil(now + 1_000)).toBe(true);
  });

  it('backs off 1, 2, 4 … 15 s with jitter', () => {
    expect(backoffMs(1, () => 0.5)).toBe(1_000);
    expect(backoffMs(3, () => 0.5)).toBe(4_000);
    expect(backoffMs(30, () => 0.5)).toBe(15_000);
    expect(backoffMs(1, () => 0)).toBe(800);
  });
});

describe('renderer cache helpers', () => {
  it('patches a node list by id in one copy, and leaves it alone when nothing matches', () => {
    const list = [{ id: 'a', status: 'online' }, { id: 'b', status: 'online' }, { id: 'c' }] as never[];
    const out = patchNodes(list, new Map([['b', { status: 'offline', lastSeenAt: 5 }]]), new Set(['c']));
    expect(out).toEqual([
      { id: 'a', status: 'online' },
      { id: 'b', status: 'offline', lastSeenAt: 5 },
    ]);
    expect(patchNodes(list, new Map(), new Set())).toBe(list);
  });

  it('keeps the node objects a refetch did not change (rows do not redraw), and the list when none changed', () => {
    const node = (id: string, status: string, labels: Record<string, string> = { env: 'prod' }) =>
      ({ id, status, labels, facts: { os: 'linux', cpus: [1, 2] } }) as never as NodeView;
    const before = [node('a', 'online'), node('b', 'online'), node('c', 'offline')];
    const same = shareNodes(before, [node('a', 'online'), node('b', 'online'), node('c', 'offline')]);
    expect(same).toBe(before);
    const next = shareNodes(before, [node('a', 'online'), node('b', 'offline'), node('c', 'offline', { env: 'dev' })]);
    expect(next[0]).toBe(before[0]);
    expect(next[1]).not.toBe(before[1]);
    expect(next[1]?.status).toBe('offline');
    expect(next[2]?.labels).toEqual({ env: 'dev' });
    // Reordered, one gone and one new: shared by id.
    const moved = shareNodes(before, [node('d', 'online'), node('c', 'offline'), node('a', 'online')]);
    expect(moved[1]).toBe(before[2]);
    expect(moved[2]).toBe(before[0]);
    expect(moved).toHaveLength(3);
    // A field only one side has is a change.
    const extra = shareNodes(before, [
      { ...node('a', 'online'), name: 'x' } as NodeView,
      before[1],
      before[2],
    ] as NodeView[]);
    expect(extra[0]).not.toBe(before[0]);
    expect(extra).not.toBe(before);
  });

  it('re-applies status events that overtook a fetch, and forgets old ones', () => {
    let now = 0;
    const ledger = new StatusLedger(1_000, () => now);
    ledger.record('a', { status: 'online' });
    const mark = ledger.mark();
    ledger.record('b', { status: 'offline' });
    expect([...ledger.since(mark).keys()]).toEqual(['b']);
    now = 5_000;
    ledger.record('c', { status: 'offline' });
    expect([...ledger.since(0).keys()]).toEqual(['c']);
  });

  it('throttles to one run per interval: at once when idle, then once at the end for the rest', async () => {
    const throttle = new Throttle(50);
    let runs = 0;
    for (let i = 0; i < 1_000; i++) throttle.request('nodes', () => runs++);
    expect(runs).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    expect(runs).toBe(2);
    throttle.cancel();
  });

  it('counts the interval from the last answer when that came after the last run (a request sent late)', async () => {
    let now = 1_000;
    const throttle = new Throttle(1_000, () => now);
    const runs: number[] = [];
    const answeredAt = 1_400; // the first request left late and was answered 400 ms after it ran
    throttle.request(
      'nodes',
      () => runs.push(now),
      () => answeredAt,
    );
    expect(runs).toEqual([]); // 1,000 + … : the answer at 1,400 means the next may run at 2,400
    now = 2_400;
    await new Promise((r) => setTimeout(r, 1_450));
    expect(runs).toEqual([2_400]);
    throttle.cancel();
  });
});

describe('one stream end to end (server and renderer client over a socket)', () => {
  let server: Server | null = null;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('resumes after a drop with Last-Event-ID: the missed events arrive and the hub says resumed', async () => {
    const bus = new EventBus();
    const streams = new EventStreams(bus);
    let requests = 0;
    const lastIds: Array<string | undefined> = [];
    server = createServer((req, res) => {
      requests += 1;
      lastIds.push(req.headers['last-event-id'] as string | undefined);
      streams.open(req, res, {});
      // The first connection is cut right after the first event.
      if (requests === 1) setTimeout(() => res.destroy(), 100);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const address = server.address() as { port: number };
    const hub = new EventHub();
    const seen: string[] = [];
    const opened: boolean[] = [];
    hub.on('nodeStatus', (d) => seen.push(d.nodeId));
    hub.onOpened(({ resumed }) => opened.push(resumed));
    const closed = new AbortController();
    runEventStream(`http://127.0.0.1:${address.port}/`, {}, hub, closed.signal);
    await waitUntil(() => opened.length === 1);
    bus.emit('nodeStatus', status('before-drop').data as never);
    await waitUntil(() => hub.connection.state === 'lost');
    bus.emit('nodeStatus', status('while-away').data as never);
    hub.retryNow();
    await waitUntil(() => seen.length === 2);
    closed.abort();
    streams.close();
    expect(seen).toEqual(['before-drop', 'while-away']);
    expect(opened).toEqual([false, true]);
    expect(lastIds[0]).toBeUndefined();
    expect(lastIds[1]).toMatch(/^[0-9a-z]+\.1$/);
  });

  it('keeps a client that is still reading a large tick, and cuts one off that falls further behind', async () => {
    const bus = new EventBus();
    const streams = new EventStreams(bus);
    let response: ServerResponse | null = null;
    server = createServer((req, res) => {
      response = res;
      streams.open(req, res, {});
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    // A browser busy painting: connected, reading nothing for now.
    const client = connect((server.address() as { port: number }).port, '127.0.0.1');
    client.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    client.pause();
    await waitUntil(() => response !== null);
    const res = response as unknown as ServerResponse;
    // One tick of a large fleet, in its events of 250 nodes, until more than 2 MB of it wait in the
    // server's buffer (beyond what the kernel's socket buffers took).
    const node = (i: number) => ({
      nodeId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      t: 1,
      cpu: 12.5,
      memUsed: 1e9,
      memTotal: 2e9,
      diskUsed: 2e10,
      diskTotal: 5e10,
      rxBps: 125_000,
      txBps: 62_500,
      load1: 0.12,
      uptimeSec: 86_400,
    });
    for (let from = 0; res.writableLength < 2 * 1024 * 1024; from += 250) {
      bus.emit('metrics', { t: 1, nodes: Array.from({ length: 250 }, (_v, k) => node(from + k)) });
    }
    bus.emit('nodeStatus', status('during-the-tick').data as never);
    expect(res.destroyed).toBe(false);
    // Then more than a megabyte of other events behind the tick: this client is stalled.
    for (let i = 0; i < 12_000 && !res.destroyed; i++) bus.emit('nodeStatus', status(`n${i}`).data as never);
    expect(res.destroyed).toBe(true);
    client.destroy();
    streams.close();
  });

  it('stops on 401 and says so instead of retrying', async () => {
    let requests = 0;
    server = createServer((_req, res) => {
      requests += 1;
      res.writeHead(401).end();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const hub = new EventHub();
    runEventStream(
      `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
      {},
      hub,
      new AbortController().signal,
    );
    await waitUntil(() => hub.connection.state === 'unauthorized');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(requests).toBe(1);
  });
});

async function waitUntil(probe: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !probe(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(probe()).toBe(true);
}
