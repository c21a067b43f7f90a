// A raw agent-protocol client for tests and the hostile bench: connects with a token, says hello and
// collects what the master sends, so a test can send what a real agent never would.
import WebSocket from 'ws';
import type { Master } from '../../main/core/master.js';
import { waitFor } from './processes.js';

/** A raw protocol client: connects with the token, says hello, collects what the master sends. */
export class RawAgent {
  readonly received: Array<{ type: string; id?: string }> = [];
  closeCode: number | null = null;
  /** When the connection closed (Date.now()), or null while open. */
  closedAt: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.received.push(JSON.parse(data.toString())));
    ws.on('close', (code) => {
      this.closeCode = code;
      this.closedAt = Date.now();
    });
  }

  static async connect(
    master: Pick<Master, 'agentUrl'>,
    token: string,
    track?: (ws: WebSocket) => void,
  ): Promise<RawAgent> {
    const ws = new WebSocket(master.agentUrl, {
      headers: { authorization: `Bearer ${token}` },
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    const agent = new RawAgent(ws);
    track?.(ws);
    agent.send({
      type: 'hello',
      protocol: 1,
      agentVersion: 'raw-test',
      facts: { hostname: 'raw', os: 'test', platform: 'linux', arch: 'x64', kernel: '1', bootId: 'b' },
      capabilities: { exec: true, files: false, filesWrite: false, roots: [] },
      running: [],
    });
    await waitFor(() => agent.received.some((m) => m.type === 'welcome'), 'welcome');
    return agent;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  commandIds(): string[] {
    return this.received.filter((m) => m.type === 'command').map((m) => m.id as string);
  }

  get closed(): boolean {
    return this.closeCode !== null;
  }
}

export function resultOf(id: string) {
  const now = Date.now();
  return {
    type: 'result',
    result: {
      id,
      outcome: 'succeeded',
      exitCode: 0,
      signal: null,
      startedAt: now,
      finishedAt: now,
      stdout: 'forged\n',
      stderr: '',
      truncated: false,
      error: null,
    },
  };
}
