// A terminal session's browser end for tests and benchmarks: the same WebSocket and frames the UI uses
// (contract/terminal-schemas.ts), with the screen's text collected and output acknowledged as it is
// "shown" (or not at all, to play a stalled browser).
import { StringDecoder } from 'node:string_decoder';
import { WebSocket } from 'ws';
import type { OutputOf } from '../../main/contract/contract.js';
import type { TerminalServerFrame } from '../../main/contract/terminal-schemas.js';
import type { MasterHandle } from './processes.js';
import { waitFor } from './processes.js';

type Session = OutputOf<'openTerminal'>['session'];

export class TerminalClient {
  text = '';
  received = 0;
  frames: TerminalServerFrame[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private readonly decoder = new StringDecoder('utf8');
  private readonly listeners = new Set<(chunk: Buffer) => void>();

  private constructor(
    readonly ws: WebSocket,
    readonly sessionId: string,
    /** false: never acknowledge (the agent then stops after its window). */
    private readonly acking: boolean,
  ) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return void this.frames.push(JSON.parse(data.toString()) as TerminalServerFrame);
      const chunk = data as Buffer;
      this.received += chunk.length;
      this.text += this.decoder.write(chunk);
      for (const listener of this.listeners) listener(chunk);
      if (this.acking) this.send({ type: 'ack', bytes: this.received });
    });
    this.closed = new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  }

  static async connect(
    master: Pick<MasterHandle, 'adminUrl'>,
    opened: { ticket: string; socketPath: string; session: Session },
    options: { acking?: boolean; received?: number } = {},
  ): Promise<TerminalClient> {
    const url = new URL(opened.socketPath, master.adminUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('ticket', opened.ticket);
    const ws = new WebSocket(url);
    const client = new TerminalClient(ws, opened.session.id, options.acking ?? true);
    client.received = options.received ?? 0;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`socket refused: HTTP ${res.statusCode}`)));
    });
    client.send({ type: 'attach', received: client.received });
    return client;
  }

  send(frame: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  type(data: string): void {
    this.send({ type: 'input', data });
  }

  resize(cols: number, rows: number): void {
    this.send({ type: 'resize', cols, rows });
  }

  onOutput(listener: (chunk: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits until the screen's text (after `from`) matches. */
  async waitFor(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpExecArray> {
    return waitFor(
      () => pattern.exec(this.text.slice(from)),
      `terminal output matching ${pattern}: ${JSON.stringify(this.text.slice(-400))}`,
      timeoutMs,
      20,
    );
  }

  /** The last session frame (ended sessions end with one). */
  lastSession(): Session | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const frame = this.frames[i];
      if (frame?.type === 'session' || frame?.type === 'attached') return frame.session;
    }
    return undefined;
  }

  close(): void {
    this.ws.close();
  }
}

/** Opens a terminal on a node and attaches to it; waits for the shell to be ready for input. */
export async function openTerminal(master: MasterHandle, nodeId: string, size = { cols: 80, rows: 24 }) {
  const opened = await master.client.openTerminal({ id: nodeId, ...size });
  const client = await TerminalClient.connect(master, opened);
  // A marker the shell prints only once it reads input: the prompt's look varies between hosts.
  client.type('echo "rea""dy-$((40+2))"\r');
  await client.waitFor(/ready-42/);
  return { opened, client };
}
