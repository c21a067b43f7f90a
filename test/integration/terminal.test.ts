// Terminals against a real master, real agents and real pseudo-terminals (util-linux `script` on this
// host): a full-screen program sees a resize, Ctrl-C interrupts, a flood stays bounded on agent and
// master while another agent's commands still run, broadcast reaches three nodes, the recording replays
// what the screen showed, and sessions end when refused, revoked or reattached after a drop.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPtyTools } from '../../agent/terminal/pty.js';
import {
  createNode,
  enqueue,
  type MasterHandle,
  type Proc,
  startAgent,
  startMaster,
  waitFor,
  waitForCommand,
  waitForStatus,
} from '../helpers/processes.js';
import { openTerminal, TerminalClient } from '../helpers/terminal-client.js';

let master: MasterHandle;
const procs: Proc[] = [];
const clients: TerminalClient[] = [];

async function agentNode(name: string, args: string[] = ['--terminal']) {
  const { node, token } = await createNode(master, name);
  const proc = startAgent({ master, token, args });
  procs.push(proc);
  await waitForStatus(master, node.id, 'online');
  return { id: node.id, proc };
}

async function terminalOn(nodeId: string, size = { cols: 80, rows: 24 }) {
  const opened = await openTerminal(master, nodeId, size);
  clients.push(opened.client);
  return opened;
}

const rssBytes = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) * 1024;

/** xterm's alternate screen on and off: what full-screen programs switch to and back. */
const ALT_SCREEN_ON = new RegExp(`${String.fromCharCode(27)}\\[\\?1049h`);
const ALT_SCREEN_OFF = new RegExp(`${String.fromCharCode(27)}\\[\\?1049l`);
const sleepRunning = () => spawnSync('pgrep', ['-f', '^sleep 301$']).status === 0;
const hasPty = 'script' in findPtyTools();

beforeAll(async () => {
  master = await startMaster({ args: ['--terminal-grace-sec', '5'] });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  await master?.proc.stop();
});

describe.runIf(process.platform === 'linux' && hasPty)('terminals', () => {
  it('is refused on an agent started without --terminal, and says how to allow it', async () => {
    const { id } = await agentNode('no-terminal', []);
    const node = await master.client.getNode({ id });
    expect(node.capabilities?.terminal).toBe(false);
    const failure = await master.failure('openTerminal', { id });
    expect(failure.code).toBe('capability_missing');
    expect(failure.message).toContain('--terminal');
  });

  it('runs vim, which sees a resize; stty size reports the new size', async () => {
    const { id } = await agentNode('vim-host');
    const { client } = await terminalOn(id, { cols: 80, rows: 24 });
    let mark = client.text.length;
    client.type('stty size\r');
    await client.waitFor(/^24 80\r?$/m, 15_000, mark);
    client.type('vim -u NONE -N -n\r');
    await client.waitFor(ALT_SCREEN_ON, 15_000, mark); // vim switched to the alternate screen
    await client.waitFor(/:q/, 15_000, mark); // its intro screen is drawn
    mark = client.text.length;
    client.resize(100, 30);
    // vim may still be waiting for answers to its terminal queries and drop early keys: ask again.
    await waitFor(
      async () => {
        client.type('\u001b:echo "size=" . &lines . "x" . &columns\r');
        return client.waitFor(/size=30x100/, 3_000, mark).catch(() => null);
      },
      'vim to report the new size',
      45_000,
    );
    client.type(':q!\r');
    await client.waitFor(ALT_SCREEN_OFF, 15_000, mark);
    mark = client.text.length;
    client.type('stty size\r');
    await client.waitFor(/^30 100\r?$/m, 15_000, mark);
  });

  it('interrupts sleep with Ctrl-C, UTF-8 and 256 colours pass through', async () => {
    const { id } = await agentNode('ctrl-c-host');
    const { client } = await terminalOn(id);
    let mark = client.text.length;
    const startedAt = Date.now();
    client.type('sleep 301\r');
    // The sleep is running on the host (the agent is local here) before Ctrl-C is typed.
    await waitFor(() => sleepRunning(), 'sleep 301 to run', 15_000);
    client.type('\u0003');
    client.type('echo "after-""$((2+3))"\r');
    await client.waitFor(/after-5/, 15_000, mark);
    expect(Date.now() - startedAt).toBeLessThan(60_000);
    expect(sleepRunning()).toBe(false);
    mark = client.text.length;
    client.type('echo "$TERM" "$(tput colors)" "h\u00e9llo-\u4e16\u754c"\r');
    await client.waitFor(/xterm-256color 256 h\u00e9llo-\u4e16\u754c/, 15_000, mark);
  });

  it('keeps agent and master memory bounded through 10 s of `yes` while another agent runs commands', async () => {
    const flood = await agentNode('yes-host');
    const other = await agentNode('quiet-host', []);
    const { client } = await terminalOn(flood.id);
    const masterPid = master.proc.child.pid as number;
    const agentPid = flood.proc.child.pid as number;
    const before = { master: rssBytes(masterPid), agent: rssBytes(agentPid) };
    const peak = { ...before };
    client.type('yes\r');
    const dispatched: number[] = [];
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const t0 = Date.now();
      const [command] = await enqueue(master, { nodeIds: [other.id], exec: { command: 'echo still-here' } });
      const done = await waitForCommand(master, command?.id as string, 10_000);
      expect(done.status).toBe('succeeded');
      expect(done.stdout).toContain('still-here');
      dispatched.push(Date.now() - t0);
      peak.master = Math.max(peak.master, rssBytes(masterPid));
      peak.agent = Math.max(peak.agent, rssBytes(agentPid));
      await new Promise((r) => setTimeout(r, 250));
    }
    client.type('\u0003');
    const flowed = client.received;
    expect(flowed).toBeGreaterThan(1024 * 1024); // the flood really flowed (busy machines: a few MiB)
    expect(dispatched.length).toBeGreaterThan(5);
    // Bounded: tens of MiB at most above the start, whatever went through (observed: a few MiB).
    expect(peak.agent - before.agent).toBeLessThan(64 * 1024 * 1024);
    expect(peak.master - before.master).toBeLessThan(96 * 1024 * 1024);
    console.log(
      `yes: ${(flowed / 1048576).toFixed(0)} MiB in 10 s; RSS growth agent ${((peak.agent - before.agent) / 1048576).toFixed(1)} MiB, ` +
        `master ${((peak.master - before.master) / 1048576).toFixed(1)} MiB; other agent's commands p50 ` +
        `${dispatched.sort((a, b) => a - b)[Math.floor(dispatched.length / 2)]} ms`,
    );
  });

  it('stops the program on the host while the browser does not acknowledge (one window, no more)', async () => {
    const { id } = await agentNode('stalled-host');
    const opened = await master.client.openTerminal({ id, cols: 80, rows: 24 });
    const client = await TerminalClient.connect(master, opened, { acking: false });
    clients.push(client);
    client.type('yes\r');
    await waitFor(() => client.received > 64 * 1024, 'output to start', 15_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const held = client.received;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(client.received).toBe(held); // nothing more without acknowledgements
    expect(held).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
    client.send({ type: 'ack', bytes: client.received });
    await waitFor(() => client.received > held, 'output to resume after the acknowledgement', 10_000);
    client.type('\u0003');
  });

  it('broadcasts one input to three nodes', async () => {
    const nodes = await Promise.all(['bc-1', 'bc-2', 'bc-3'].map((name) => agentNode(name)));
    const terminals = await Promise.all(nodes.map((n) => terminalOn(n.id)));
    const marks = terminals.map((t) => t.client.text.length);
    const result = await master.client.broadcastTerminalInput({
      sessionIds: terminals.map((t) => t.opened.session.id),
      data: 'echo "bc-$((6*7))-$(hostname)"\r',
    });
    expect(result.sent).toHaveLength(3);
    expect(result.skipped).toEqual([]);
    await Promise.all(terminals.map((t, i) => t.client.waitFor(/bc-42-/, 15_000, marks[i])));
  });

  it('records the session: the recording replays what the screen showed, with input and resizes', async () => {
    const { id } = await agentNode('rec-host');
    const { opened, client } = await terminalOn(id);
    client.type('printf "rec-%s\\n" "$((3*3))"\r');
    await client.waitFor(/rec-9/);
    client.resize(90, 20);
    client.type('exit\r');
    await client.closed;
    await waitFor(async () => {
      const [row] = await master.client.listTerminalSessions({ nodeId: id });
      return row?.state === 'ended' && row;
    }, 'the session to end');
    const { cast, session } = await master.client.terminalRecording({ sessionId: opened.session.id });
    expect(session.endReason).toBe('exited');
    const [header, ...lines] = cast.trimEnd().split('\n');
    expect(JSON.parse(header as string)).toMatchObject({ version: 2, width: 80, height: 24 });
    const events = lines.map((l) => JSON.parse(l) as [number, string, string]);
    const shown = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(shown).toBe(client.text);
    const typed = events
      .filter((e) => e[1] === 'i')
      .map((e) => e[2])
      .join('');
    expect(typed).toContain('printf "rec-%s\\n"');
    expect(events.some((e) => e[1] === 'r' && e[2] === '90x20')).toBe(true);
    const times = events.map((e) => e[0]);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(session.recordedBytes).toBe(Buffer.byteLength(cast));
  });

  it('keeps the session through a browser drop within the grace period, and resumes exactly', async () => {
    const { id } = await agentNode('drop-host');
    const { opened, client } = await terminalOn(id);
    client.type('echo "one-$((1))"\r');
    await client.waitFor(/one-1/);
    client.close();
    await client.closed;
    const ticket = await master.client.terminalTicket({ sessionId: opened.session.id });
    const again = await TerminalClient.connect(
      master,
      { ...ticket, session: opened.session },
      { received: client.received },
    );
    clients.push(again);
    again.type('echo "two-$((1+1))"\r');
    await again.waitFor(/two-2/);
    // A used ticket does not open the socket again.
    await expect(TerminalClient.connect(master, { ...ticket, session: opened.session })).rejects.toThrow(/401/);
  });

  it('ends a session whose browser stays away past the grace period', async () => {
    const { id } = await agentNode('grace-host');
    const { opened, client } = await terminalOn(id);
    client.close();
    await waitFor(
      async () =>
        (await master.client.listTerminalSessions({ nodeId: id })).find(
          (s) => s.id === opened.session.id && s.state === 'ended',
        ),
      'the session to end after the grace period',
      15_000,
    );
  });

  it('ends the session when the node is revoked', async () => {
    const { id } = await agentNode('revoke-host');
    const { opened, client } = await terminalOn(id);
    await master.client.revokeNode({ id });
    await client.closed;
    expect(client.lastSession()?.endReason).toBe('revoked');
    const [row] = await master.client.listTerminalSessions({ nodeId: id });
    expect(row).toMatchObject({ id: opened.session.id, state: 'ended', endReason: 'revoked' });
  });
});
