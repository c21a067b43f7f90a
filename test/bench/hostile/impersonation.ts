// Agents speaking for others and tokens that stopped standing (issue 24, items 2–4): raw protocol
// clients against masters in this process. Shared-mode figures need MariaDB at 127.0.0.1:3306; they
// are reported as skipped (value NaN) without it.

import { CloseCode } from '../../../agent/protocol.js';
import { desktopCaller } from '../../../main/contract/caller.js';
import { invoke } from '../../../main/contract/dispatch.js';
import { silentLogger } from '../../../main/core/log.js';
import { Master, type MasterOptions } from '../../../main/core/master.js';
import { freshMariadb } from '../../helpers/databases.js';
import { tempDir, waitFor } from '../../helpers/processes.js';
import { RawAgent, resultOf } from '../../helpers/raw-agent.js';
import type { Attack, AttackRow } from './report.js';

const FOREIGN_FRAMES = 10_000;

interface Credentials {
  node: { id: string };
  token: string;
}

export const impersonationAttack: Attack = async () => {
  const stops: Array<() => Promise<void>> = [];
  const start = async (options: Partial<MasterOptions> = {}) => {
    const master = await Master.start({
      dataDir: tempDir('fleetdeck-hostile-'),
      agentListen: { host: '127.0.0.1', port: 0 },
      agentTls: true,
      log: silentLogger,
      ...options,
    });
    stops.push(() => master.stop());
    return master;
  };
  const connect = (master: Master, token: string) =>
    RawAgent.connect(master, token, (ws) => stops.push(async () => ws.terminate()));
  try {
    const rows = [await foreignOutput(start, connect), await secondRotation(start, connect)];
    rows.push(...(await sharedRevoke(start, connect)));
    return rows;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
};

type Start = (options?: Partial<MasterOptions>) => Promise<Master>;
type Connect = (master: Master, token: string) => Promise<RawAgent>;
const call = <T>(master: Master, name: Parameters<typeof invoke>[1], input: unknown) =>
  invoke(master.handlers(), name, input, desktopCaller) as Promise<T>;

async function foreignOutput(start: Start, connect: Connect): Promise<AttackRow> {
  const master = await start();
  const victim = await call<Credentials>(master, 'createNode', { name: 'victim' });
  const intruder = await call<Credentials>(master, 'createNode', { name: 'intruder' });
  const victimAgent = await connect(master, victim.token);
  const intruderAgent = await connect(master, intruder.token);
  let reEmitted = 0;
  const unsubscribe = master.bus.subscribe((m) => {
    if (m.event === 'commandOutput' && m.data.data.startsWith('forged')) reEmitted++;
  });
  const { commands } = await call<{ commands: Array<{ id: string }> }>(master, 'enqueueCommands', {
    nodeIds: [victim.node.id],
    exec: { command: 'true' },
  });
  const id = commands[0]?.id as string;
  await waitFor(() => victimAgent.commandIds().includes(id), 'the command reaching its node');
  for (let i = 0; i < FOREIGN_FRAMES; i++)
    intruderAgent.send({ type: 'output', id, stream: 'stdout', data: `forged ${i}` });
  victimAgent.send({ type: 'output', id, stream: 'stdout', data: 'end' });
  await waitFor(
    () => master.queue.foreignOutputFrames >= FOREIGN_FRAMES || reEmitted >= FOREIGN_FRAMES,
    'the frames',
    60_000,
  );
  unsubscribe();
  return row(`foreign output (${FOREIGN_FRAMES} frames)`, 're-emitted', reEmitted, 9_528, '0', reEmitted === 0);
}

async function secondRotation(start: Start, connect: Connect): Promise<AttackRow> {
  const master = await start();
  const created = await call<Credentials>(master, 'createNode', { name: 'rolling' });
  const agent = await connect(master, created.token);
  await call(master, 'rotateNodeToken', { id: created.node.id, overlapSec: 300 });
  const at = Date.now();
  await call(master, 'rotateNodeToken', { id: created.node.id, overlapSec: 300 });
  const seconds = await secondsUntilClosed(agent, at, 30);
  return row('second rotation: connection on the retired token', 'open s', seconds, 300, '≤ 2', seconds <= 2);
}

async function sharedRevoke(start: Start, connect: Connect): Promise<AttackRow[]> {
  const db = await freshMariadb().catch(() => null);
  if (!db) {
    return [
      row('revoke on another master (no MariaDB)', 'open s', Number.NaN, 60, '≤ 2', false),
      row('result on a revoked token (no MariaDB)', 'accepted', Number.NaN, 1, '0', false),
    ];
  }
  try {
    const a = await start({ dbUrl: db.url });
    const b = await start({ dbUrl: db.url });
    const elsewhere = await call<Credentials>(a, 'createNode', { name: 'elsewhere' });
    const agent = await connect(b, elsewhere.token);
    const at = Date.now();
    await call(a, 'revokeNode', { id: elsewhere.node.id });
    const seconds = await secondsUntilClosed(agent, at, 90);
    // A slow-to-notice holder: the forged result reaches it before its watch does.
    const slow = await start({ dbUrl: db.url, credentialCheckMs: 60_000 });
    const forger = await call<Credentials>(a, 'createNode', { name: 'forger' });
    const forging = await connect(slow, forger.token);
    const { commands } = await call<{ commands: Array<{ id: string }> }>(a, 'enqueueCommands', {
      nodeIds: [forger.node.id],
      exec: { command: 'true' },
    });
    const id = commands[0]?.id as string;
    await waitFor(() => forging.commandIds().includes(id), 'the command reaching the forger', 20_000);
    await call(a, 'revokeNode', { id: forger.node.id });
    forging.send({ type: 'started', id, at: Date.now() });
    forging.send(resultOf(id));
    await waitFor(
      async () => slow.queue.resultsFromRetiredTokens > 0 || (await statusOf(a, id)) === 'succeeded',
      'the forged result to be decided',
      10_000,
    ).catch(() => undefined);
    const accepted = (await statusOf(a, id)) === 'succeeded' ? 1 : 0;
    return [
      row(
        'revoke on another master',
        'open s',
        seconds,
        60,
        '≤ 2',
        seconds <= 2 && agent.closeCode === CloseCode.revoked,
      ),
      row('result on a revoked token', 'accepted', accepted, 1, '0', accepted === 0),
    ];
  } finally {
    await db.drop().catch(() => undefined);
  }
}

const statusOf = async (master: Master, id: string) =>
  (await call<{ status: string }>(master, 'getCommand', { id })).status;

async function secondsUntilClosed(agent: RawAgent, since: number, capSec: number): Promise<number> {
  await waitFor(() => agent.closed, 'the connection to close', capSec * 1000).catch(() => undefined);
  return agent.closedAt !== null ? Math.round((agent.closedAt - since) / 100) / 10 : capSec;
}

function row(attack: string, measure: string, value: number, before: number, target: string, ok: boolean): AttackRow {
  return { attack, measure, value, before, target, ok };
}
