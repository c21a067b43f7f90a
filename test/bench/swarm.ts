// A simulated fleet: real WebSocket connections speaking the real agent protocol, authenticated with
// real tokens, cheap enough for thousands in one process. Commands are answered without running
// anything (the reply is configurable); use real agent processes where real execution matters.
import WebSocket from 'ws';
import { Backoff } from '../../agent/backoff.js';
import {
  type CommandMessage,
  type CommandResult,
  MasterMessage,
  type MetricSample,
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
  /** Report metrics like a real agent: a sample every intervalMs, several per frame. */
  metrics?: { intervalMs: number; perFrame: number };
  /** Redial after the connection drops, with the real agent's backoff (1 s base, 60 s cap, full jitter). */
  reconnect?: boolean;
}

/** A plausible host sample; counters grow by what a lightly loaded VPS moves. */
function simSample(index: number, t: number, uptimeSec: number): MetricSample {
  const bytes = Math.round(uptimeSec * 125_000);
  const j = Math.round(uptimeSec * 100);
  const half = Math.floor(j / 2);
  const quarter = Math.floor(j / 4);
  return {
    t,
    bootId: `sim-boot-${index}`,
    uptimeSec,
    cpu: {
      source: 'proc',
      total: [j, 0, half, j * 6, 3, 0, 1, 0],
      cores: [
        [half, 0, quarter, j * 3, 1, 0, 0, 0],
        [half, 0, quarter, j * 3, 2, 0, 1, 0],
      ],
    },
    load: [0.12, 0.2, 0.18],
    memory: {
      total: 2_000_000_000,
      available: 1_200_000_000,
      used: 800_000_000,
      buffers: 50_000_000,
      cached: 400_000_000,
    },
    swap: { total: 1_000_000_000, free: 1_000_000_000 },
    disks: [{ mount: '/', fs: 'ext4', total: 50_000_000_000, used: 20_000_000_000, free: 30_000_000_000 }],
    diskIo: { readBytes: Math.floor(bytes / 16), writeBytes: Math.floor(bytes / 8), reads: j, writes: j * 2 },
    net: [
      {
        name: 'eth0',
        rxBytes: bytes,
        txBytes: Math.floor(bytes / 2),
        rxPackets: j * 10,
        txPackets: j * 8,
        speedMbps: 1000,
      },
    ],
    connections: { tcp: 12, udp: 2 },
    processes: 140,
  };
}

export class SimAgent {
  socket: WebSocket | null = null;
  welcomed = false;
  readonly results = new Map<string, CommandResult>();

  constructor(
    readonly index: number,
    private readonly options: SwarmOptions,
  ) {}

  private readonly backoff = new Backoff({ baseMs: 1_000, maxMs: 60_000 });
  private closing = false;

  connect(): Promise<void> {
    const socket = new WebSocket(this.options.url, {
      headers: { authorization: `Bearer ${this.options.tokens[this.index]}` },
      rejectUnauthorized: false,
      perMessageDeflate: false,
    });
    this.socket = socket;
    // A reset after the connection opened (the master cut a frozen agent) is followed by 'close',
    // which handles it; without a listener the second such error would crash the swarm.
    socket.on('error', () => undefined);
    // Closed before the welcome (the master refused or timed out the handshake): this dial failed, and
    // whoever awaits it (connectRetrying) dials again. Without the rejection the promise never settles
    // and the swarm never reports ready (a 10,000-node run stalled so).
    let refused: ((error: Error) => void) | null = null;
    socket.on('close', (code) => {
      const beforeWelcome = !this.welcomed;
      this.welcomed = false;
      if (this.metricsTimer) clearInterval(this.metricsTimer);
      this.metricsTimer = null;
      if (this.probeTimer) clearInterval(this.probeTimer);
      this.probeTimer = null;
      this.probeDue.clear();
      if (refused && beforeWelcome) {
        refused(new Error(`closed before the welcome (code ${code})`));
        return;
      }
      if (this.options.reconnect && !this.closing) this.redialLater();
    });
    return new Promise((resolve, reject) => {
      refused = reject;
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
            capabilities: { exec: true, files: false, filesWrite: false, roots: [], probes: true },
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
          refused = null;
          this.backoff.reset();
          this.startMetrics();
          resolve();
        } else if (message.type === 'command') this.run(message);
        else if (message.type === 'probe-set') this.probeSet(message.probes);
      });
    });
  }

  /** Dials again after the backoff, and again after each dial that fails before its welcome. */
  private redialLater(): void {
    setTimeout(() => {
      if (!this.closing) this.connect().catch(() => this.redialLater());
    }, this.backoff.next());
  }

  private metricsTimer: NodeJS.Timeout | null = null;
  samplesSent = 0;
  probeResultsSent = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private probeDue = new Map<string, { at: number; intervalMs: number }>();

  /** Simulated probes: each due one answers ok in 5–50 ms, checked once a second, sent in one frame. */
  private probeSet(probes: Array<{ id: string; intervalSec: number }>): void {
    const next = new Map<string, { at: number; intervalMs: number }>();
    for (const p of probes) {
      const intervalMs = p.intervalSec * 1000;
      next.set(p.id, this.probeDue.get(p.id) ?? { at: Date.now() + Math.random() * intervalMs, intervalMs });
    }
    this.probeDue = next;
    if (this.probeTimer || next.size === 0) return;
    this.probeTimer = setInterval(() => {
      const now = Date.now();
      const results = [];
      for (const [id, due] of this.probeDue) {
        if (due.at > now) continue;
        due.at += due.intervalMs * (0.9 + Math.random() * 0.2);
        results.push({ id, at: now, ok: true, latencyMs: 5 + Math.random() * 45, error: null });
      }
      if (results.length === 0) return;
      this.probeResultsSent += results.length;
      this.send({ type: 'probe-results', results });
    }, 1_000);
    this.probeTimer.unref();
  }

  private startMetrics(): void {
    const metrics = this.options.metrics;
    if (!metrics || this.metricsTimer) return;
    const frameMs = metrics.intervalMs * metrics.perFrame;
    const bootedAt = Date.now() - 86_400_000 - this.index * 1_000;
    const sendFrame = () => {
      const now = Date.now();
      const samples: MetricSample[] = [];
      for (let k = metrics.perFrame - 1; k >= 0; k--) {
        const t = now - k * metrics.intervalMs;
        samples.push(simSample(this.index, t, (t - bootedAt) / 1000));
      }
      this.samplesSent += samples.length;
      this.send({ type: 'metrics', intervalMs: metrics.intervalMs, samples });
    };
    // Random phase, as real agents started at different times.
    this.metricsTimer = setTimeout(() => {
      sendFrame();
      this.metricsTimer = setInterval(sendFrame, frameMs);
    }, Math.random() * frameMs);
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
    this.closing = true;
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    this.socket?.terminate();
  }
}

export class Swarm {
  readonly agents: SimAgent[];

  constructor(options: SwarmOptions) {
    this.agents = options.tokens.map((_t, i) => new SimAgent(i, options));
  }

  /**
   * Connects every agent, at most `parallel` dialling at once: a pool, so one slow handshake holds
   * its own slot only, not a whole lock-step wave.
   */
  async connect(parallel = 100): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.agents.length) await connectRetrying(this.agents[next++] as SimAgent);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, this.agents.length) }, worker));
  }

  close(): void {
    for (const agent of this.agents) agent.close();
  }
}

/**
 * A connection the master reset or refused during the storm (a busy machine misses a deadline) is
 * dialled again, a few times, as a real agent would: one reset must not end the whole swarm.
 */
async function connectRetrying(agent: SimAgent, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await agent.connect();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}
