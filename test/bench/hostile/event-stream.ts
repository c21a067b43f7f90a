// The admin event stream under hostile clients (issue 15's event path): Last-Event-ID values that
// are malformed, foreign, from the future or oversized must never resume; a subscriber that stops
// reading is cut off instead of growing the master's memory; a replay stays within its bound.
import { connect } from 'node:net';
import { silentLogger } from '../../../main/core/log.js';
import { Master } from '../../../main/core/master.js';
import { AdminServer } from '../../../main/server/http.js';
import { tempDir } from '../../helpers/processes.js';
import type { Attack, AttackRow } from './report.js';

const TOKEN = 'hostile-events-admin-token-0123456789';
const REPLAY_BOUND_BYTES = 2 * 1024 * 1024;

/** Opens a stream with this Last-Event-ID and reads until the first event; returns the text read. */
async function firstEvents(port: number, lastId: string | null, bytes = 512): Promise<string> {
  const controller = new AbortController();
  const response = await fetch(`http://127.0.0.1:${port}/api/events`, {
    headers: { authorization: `Bearer ${TOKEN}`, ...(lastId === null ? {} : { 'last-event-id': lastId }) },
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + 5_000;
  while (text.length < bytes && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  controller.abort();
  return text;
}

const resumed = (text: string) => /event: streamOpened\ndata: \{"resumed":true\}/.test(text);

export const eventStreamAttack: Attack = async () => {
  const master = await Master.start({
    dataDir: tempDir('fleetdeck-hostile-events-'),
    agentListen: { host: '127.0.0.1', port: 0 },
    agentTls: false,
    adminToken: TOKEN,
    log: silentLogger,
  });
  const server = new AdminServer({ host: '127.0.0.1', port: 0, master, log: silentLogger, staticDir: null });
  const { port } = await server.start();
  const rows: AttackRow[] = [];
  try {
    // A stream that sees one event gives the epoch of this server's ids.
    const listening = firstEvents(port, null, 120);
    await new Promise((r) => setTimeout(r, 200));
    master.bus.emit('nodeChanged', { nodeId: 'n-0' });
    const first = /id: (\S+)/.exec(await listening)?.[1] ?? '';
    const epoch = first.split('.')[0] ?? '';
    if (!epoch) throw new Error('no event id seen on the stream');
    const genuine = resumed(await firstEvents(port, first));
    const hostile = ['x', `${epoch}.99999999999999`, `zzzz.1`, `${epoch}.-1`, `${epoch}.1.2`, 'a'.repeat(4_000), '0'];
    let wrong = 0;
    for (const id of hostile) if (resumed(await firstEvents(port, id))) wrong += 1;
    if (!genuine) throw new Error('a genuine Last-Event-ID did not resume');
    rows.push({
      attack: 'event stream: hostile Last-Event-ID',
      measure: 'resumed streams',
      value: wrong,
      before: null,
      target: '0',
      ok: wrong === 0,
    });

    // 100,000 events, then a resume from far back and one from 1,000 events ago.
    for (let i = 0; i < 100_000; i++) master.bus.emit('nodeChanged', { nodeId: `n-${i}` });
    const tooOld = resumed(await firstEvents(port, `${epoch}.2`)) ? 1 : 0;
    const recent = await firstEvents(port, `${epoch}.99500`, REPLAY_BOUND_BYTES + 1);
    if (!resumed(recent)) throw new Error('a recent Last-Event-ID did not resume');
    rows.push({
      attack: 'event stream: resume from an evicted id',
      measure: 'resumed streams',
      value: tooOld,
      before: null,
      target: '0',
      ok: tooOld === 0,
    });
    rows.push({
      attack: 'event stream: replay size',
      measure: 'KiB replayed',
      value: Math.round(recent.length / 1024),
      before: null,
      target: `≤ ${REPLAY_BOUND_BYTES / 1024}`,
      ok: recent.length <= REPLAY_BOUND_BYTES + 4_096,
    });

    // A subscriber that never reads while 8 MiB of events go out: the server must cut it off.
    const socket = connect(port, '127.0.0.1');
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write(`GET /api/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${TOKEN}\r\n\r\n`);
    socket.pause();
    await new Promise((r) => setTimeout(r, 200));
    const pad = 'p'.repeat(900);
    for (let i = 0; i < 9_000 && !closed; i++) {
      master.bus.emit('commandOutput', { id: `cmd-${i}`, nodeId: 'n-0', stream: 'stdout', data: pad });
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 500));
    socket.resume();
    const deadline = Date.now() + 10_000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    rows.push({
      attack: 'event stream: subscriber that stops reading',
      measure: 'held open after 8 MiB',
      value: closed ? 0 : 1,
      before: null,
      target: '0',
      ok: closed,
    });
  } finally {
    await server.stop();
    await master.stop().catch(() => undefined);
  }
  return rows;
};
