// File RPC answers are checked against the contract's output schemas before a client sees them: a
// raw agent (real socket, real protocol) answers with shapes the contract refuses and with extra
// fields; the API answers 502 bad_agent_reply for the first and drops the extra fields of the second.
// Before, whatever the agent sent was passed through as the operation's output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess } from '../helpers/in-process.js';
import { waitFor } from '../helpers/processes.js';
import { RawAgent } from '../helpers/raw-agent.js';

type InProcess = Awaited<ReturnType<typeof startInProcess>>;

let core: InProcess;
let agent: RawAgent;
let nodeId: string;

beforeAll(async () => {
  core = await startInProcess();
  const created = await core.request('POST', '/api/nodes', { name: 'raw-files' });
  nodeId = (created.body.node as { id: string }).id;
  agent = await RawAgent.connect(core.master, created.body.token as unknown as string);
});
afterAll(async () => {
  agent?.ws.close();
  await core?.stop();
});

const entry = { name: 'a.txt', path: '/srv/a.txt', type: 'file', size: 12, mtime: 1, mode: 0o644, uid: 0, gid: 0 };
const goodEntry = { ...entry, owner: 'root', symlinkTarget: null };

/** Starts the request, answers the RPC it causes with `result`, returns the HTTP answer. */
async function answered(method: string, path: string, result: unknown) {
  const seen = agent.received.length;
  const response = core.request(method, path);
  const rpc = await waitFor(() => agent.received.slice(seen).find((m) => m.type === 'rpc'), 'the rpc');
  agent.send({ type: 'rpc-result', id: rpc.id, ok: true, result });
  return response;
}

describe('agent answers to file calls', () => {
  const stat = () => `/api/nodes/${nodeId}/files/stat?path=/srv/a.txt`;

  it('a stat answer of the wrong shape is 502 bad_agent_reply, saying what was wrong', async () => {
    const { status, body } = await answered('GET', stat(), { ...goodEntry, size: 'twelve' });
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ code: 'bad_agent_reply', message: expect.stringContaining('size') });
  });

  it('a listing whose entry lacks its fields is refused too', async () => {
    const listing = { path: '/srv', total: 1, entries: [entry], nextCursor: null };
    const { status, body } = await answered('GET', `/api/nodes/${nodeId}/files?path=/srv`, listing);
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ code: 'bad_agent_reply', message: expect.stringContaining('entries.0') });
  });

  it('a valid answer passes, without the fields the contract does not name', async () => {
    const { status, body } = await answered('GET', stat(), { ...goodEntry, secret: 'x'.repeat(100) });
    expect(status).toBe(200);
    expect(body).toEqual(goodEntry);
  });

  it('a download is refused when the stat it starts with is malformed (the size decides the range)', async () => {
    const download = `/api/nodes/${nodeId}/files/content?path=/srv/a.txt`;
    const { status, body } = await answered('GET', download, { ...goodEntry, size: null });
    expect(status).toBe(502);
    expect(body.error).toMatchObject({ code: 'bad_agent_reply' });
  });
});
