// A simulated fleet: real WebSocket connections speaking the real agent protocol, authenticated with
// real tokens, cheap enough for thousands in one process. Commands are answered without running
// anything (the reply is configurable); use real agent processes where real execution matters.
import WebSocket from 'ws';
import {
  type CommandMessage,
  type CommandResult,
  MasterMessage,
  PROTOCOL_VERSION,
  parseFrame,
} from '../../agent/protocol.js';

export interface SimReply {
  delayMs?: number;
  exitCode?: number;
  stdout?: string;
}

export interface SwarmOptions {
  url: string;
  tokens: string[];
  /** How a simulated agent answers a command. */
  reply?: (command: CommandMessage, index: number) => SimReply;
  onStarted?: (index: number, id: string) => void;
}

export class SimAgent {
  socket: WebSocket | null = null;
  welcomed = false;
  readonly results = new Map<string, CommandResult>();

  constructor(
    readonly index: number,
    private readonly options: SwarmOptions,
  ) {}

  connect(): Promise<void> {
    const socket = new WebSocket(this.options.url, {
      headers: { authorization: `Bearer ${this.options.tokens[this.index]}` },
      rejectUnauthorized: false,
      perMessageDeflate: false,
    });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      socket.once('open', () => {
        socket.send(
          JSON.stringify({
            type: 'hello',
            protocol: PROTOCOL_VERSION,
            agentVersion: 'sim',
            facts: {
              hostname: `sim-${this.index}`,
              os: 'sim',
              platform: 'linux',
              arch: 'x64',
              kernel: 'sim',
              bootId: 'sim',
            },
            capabilities: { exec: true, files: false, filesWrite: false, roots: [] },
            running: [],
          }),
        );
      });
      socket.on('message', (data) => {
        const parsed = parseFrame(MasterMessage, data.toString());
        if (!parsed.ok) return;
        const message = parsed.value;
        if (message.type === 'welcome') {
          this.welcomed = true;
          resolve();
        } else if (message.type === 'command') this.run(message);
      });
    });
  }

  private run(command: CommandMessage): void {
    const done = this.results.get(command.id);
    if (done) {
      this.send({ type: 'result', result: done });
      return;
    }
    const reply = this.options.reply?.(command, this.index) ?? {};
    const startedAt = Date.now();
    this.send({ type: 'started', id: command.id, at: startedAt });
    this.options.onStarted?.(this.index, command.id);
    const finish = () => {
      const result: CommandResult = {
        id: command.id,
        outcome: (reply.exitCode ?? 0) === 0 ? 'succeeded' : 'failed',
        exitCode: reply.exitCode ?? 0,
        signal: null,
        startedAt,
        finishedAt: Date.now(),
        stdout: reply.stdout ?? `sim-${this.index}\n`,
        stderr: '',
        truncated: false,
        error: null,
      };
      this.results.set(command.id, result);
      this.send({ type: 'result', result });
    };
    if (reply.delayMs) setTimeout(finish, reply.delayMs);
    else finish();
  }

  private send(message: unknown): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close(): void {
    this.socket?.terminate();
  }
}

export class Swarm {
  readonly agents: SimAgent[];

  constructor(options: SwarmOptions) {
    this.agents = options.tokens.map((_t, i) => new SimAgent(i, options));
  }

  /** Connects every agent, a bounded number at a time. */
  async connect(parallel = 100): Promise<void> {
    for (let i = 0; i < this.agents.length; i += parallel) {
      await Promise.all(this.agents.slice(i, i + parallel).map((a) => a.connect()));
    }
  }

  close(): void {
    for (const agent of this.agents) agent.close();
  }
}
