// What an agent does, without its socket: runs and journals commands, serves files, samples metrics,
// says hello and dispatches the master's work messages to those parts. The agent process wraps it in
// its WebSocket connection loop (agent.ts); the master's built-in local node calls it in-process
// (main/core/local/local-node.ts), so both behave alike by construction rather than by copy.
import { CommandJournal } from './commands/journal.js';
import { CommandRunner } from './commands/runner.js';
import { FileEndpoint } from './files/endpoint.js';
import { collectHostFacts } from './host-facts.js';
import type { AgentLogger } from './log.js';
import type { InterfaceFilterOptions } from './metrics/interface-filter.js';
import { MetricsReporter } from './metrics/reporter.js';
import { createSampler } from './metrics/sampler.js';
import { ProbeRunner } from './probes/runner.js';
import { ProcessEndpoint } from './processes/endpoint.js';
import {
  type AgentMessage,
  type Capabilities,
  type HelloMessage,
  type MasterMessage,
  type PinsMessage,
  PROTOCOL_VERSION,
  type TokenMessage,
} from './protocol.js';
import { DEFAULT_TERMINAL_LIMITS, TerminalEndpoint, type TerminalLimits } from './terminal/endpoint.js';
import { unhandled } from './unhandled.js';
import { VERSION } from './version.js';

/** How long a stop waits for running commands to end after signalling them (their kill grace and a second). */
const STOP_WAIT_MS = 6_000;
const KILL_GRACE_MS = 5_000;

/** The way to the master: a socket for the agent, the next tick for the local node. */
export interface AgentChannel {
  /** false when it cannot be sent now: results stay journaled and samples kept for the next connection. */
  send(message: AgentMessage): boolean;
  sendBinary(frame: Buffer): void;
  /** Bytes queued on the way but not yet sent (file data waits while it is high). */
  bufferedAmount(): number;
}

export interface AgentWorkOptions {
  journalDir: string;
  capabilities: Capabilities;
  concurrency: number;
  net: InterfaceFilterOptions;
  metricsIntervalMs: number;
  channel: AgentChannel;
  /** Terminal limits (whether terminals are allowed at all is `capabilities.terminal`). */
  terminalLimits?: TerminalLimits;
  /** A rotated token from the master; absent where there is no token (the local node: rotation is refused). */
  adoptToken?: (message: TokenMessage) => void;
  /** Certificate pins from the master (a rotation); absent for the local node, which has no TLS. */
  adoptPins?: (message: PinsMessage) => void;
  /** The pins this agent accepts, reported in hello (none without pinned TLS). */
  pins?: () => string[];
  log: AgentLogger;
}

/** What the master sends about work; `welcome` and `error` are about the connection, which owns them. */
export type WorkMessage = Exclude<MasterMessage, { type: 'welcome' | 'error' | 'upgrade' }>;

export class AgentWork {
  private readonly journal: CommandJournal;
  private readonly runner: CommandRunner;
  private readonly files: FileEndpoint;
  private readonly processes: ProcessEndpoint;
  private readonly metrics: MetricsReporter;
  private readonly terminals: TerminalEndpoint;
  private readonly probes: ProbeRunner;

  constructor(private readonly options: AgentWorkOptions) {
    const { channel, capabilities, log } = options;
    this.journal = new CommandJournal(options.journalDir);
    this.runner = new CommandRunner(
      this.journal,
      (message) => channel.send(message),
      { concurrency: options.concurrency, killGraceMs: KILL_GRACE_MS, execAllowed: capabilities.exec },
      log,
    );
    this.files = new FileEndpoint(capabilities, {
      sendJson: (message) => channel.send(message),
      sendBinary: (frame) => channel.sendBinary(frame),
      bufferedAmount: () => channel.bufferedAmount(),
    });
    this.processes = new ProcessEndpoint(capabilities.processes === true, (message) => channel.send(message));
    this.terminals = new TerminalEndpoint(
      capabilities.terminal === true,
      {
        sendJson: (message) => channel.send(message),
        sendBinary: (frame) => channel.sendBinary(frame),
        bufferedAmount: () => channel.bufferedAmount(),
      },
      options.terminalLimits ?? DEFAULT_TERMINAL_LIMITS,
    );
    // Results of a probe run while disconnected are dropped: probes are live state, the next run reports.
    this.probes = new ProbeRunner((results) => channel.send({ type: 'probe-results', results }));
    this.metrics = new MetricsReporter(
      createSampler(options.net),
      options.metricsIntervalMs,
      (message) => channel.send(message),
      (error) => log.warn('could not sample metrics', { error: String(error) }),
    );
  }

  /** Starts sampling; samples are kept while there is no way to the master. */
  start(): void {
    this.metrics.start();
  }

  /** The master welcomed us: results it has not acknowledged and the kept samples go now. */
  connected(): void {
    this.runner.resendPending();
    this.metrics.flush();
  }

  hello(): HelloMessage {
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      agentVersion: VERSION,
      facts: collectHostFacts(),
      capabilities: this.options.capabilities,
      running: this.runner.runningIds(),
      ...(this.options.pins && this.options.pins().length > 0 ? { pins: this.options.pins() } : {}),
    };
  }

  /** Exhaustive: a new master message type fails to compile until it has a case here or in agent.ts. */
  handle(message: WorkMessage): void {
    switch (message.type) {
      case 'command':
        this.runner.receive(message);
        return;
      case 'cancel':
        this.runner.cancel(message.id);
        return;
      case 'ack':
        this.runner.ack(message.id);
        return;
      case 'token':
        this.options.adoptToken?.(message);
        return;
      case 'pins':
        this.options.adoptPins?.(message);
        return;
      case 'rpc':
        // The process list is not a file operation: it has its own capability and part.
        if (message.method === 'processes.top') void this.processes.handle(message);
        else this.files.handle(message);
        return;
      case 'download':
      case 'upload':
      case 'upload-end':
      case 'transfer-ack':
      case 'transfer-cancel':
        this.files.handle(message);
        return;
      case 'terminal-open':
      case 'terminal-input':
      case 'terminal-resize':
      case 'terminal-ack':
      case 'terminal-close':
        this.terminals.handle(message);
        return;
      case 'probe-set':
        // Refused with --no-probes: the master assigns none then, and one sent anyway is not run.
        if (this.options.capabilities.probes === true) this.probes.set(message.probes);
        else if (message.probes.length > 0) this.options.log.warn('probes refused (started with --no-probes)');
        return;
      default:
        unhandled(message, 'agent work');
    }
  }

  /** File data from the master (an upload's frames). */
  binary(frame: Buffer): void {
    this.files.binary(frame);
  }

  /** The way to the master is gone: transfers in flight end (their temp files are removed). */
  disconnected(): Promise<void> {
    this.terminals.closeAll();
    // The master sends the set again on the next connection; it may have changed meanwhile.
    this.probes.set([]);
    return this.files.disconnected();
  }

  /** Stops sampling and the running commands, and waits (a few seconds at most) for them to end. */
  async stop(): Promise<void> {
    this.metrics.stop();
    this.probes.stop();
    this.terminals.closeAll('closed');
    this.runner.stopAll();
    const deadline = Date.now() + STOP_WAIT_MS;
    while (this.runner.runningIds().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  /** After the last report could be sent. */
  close(): void {
    this.journal.close();
  }
}
