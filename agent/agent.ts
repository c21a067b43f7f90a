// The agent's connection loop: dial a master, authenticate, say hello, keep the heartbeat, and come
// back with jittered backoff (trying the next master URL) whenever the connection is lost.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { AgentWork } from './agent-work.js';
import { Backoff } from './backoff.js';
import type { AgentConfig } from './config.js';
import { endorses, fetchEndorsements } from './endorsement.js';
import type { AgentLogger } from './log.js';
import { effectivePins, persistPins } from './pin-store.js';
import { FingerprintMismatchError, pinnedConnect } from './pinned-tls.js';
import { processListSupported } from './processes/endpoint.js';
import {
  type AgentMessage,
  type Capabilities,
  CloseCode,
  type HelloMessage,
  MAX_CONTROL_FRAME_BYTES,
  MasterMessage,
  type PinsMessage,
  parseFrame,
  REJECT_REASON_HEADER,
  type TokenMessage,
  type UpgradeMessage,
} from './protocol.js';
import { TerminalEndpoint } from './terminal/endpoint.js';
import { effectiveToken, persistToken } from './token-store.js';
import { confirmUpgrade, installUpgrade, pendingUpgrade, rollBack, type SelfProgram, selfProgram } from './upgrade.js';

export type AgentState = 'connecting' | 'connected' | 'waiting' | 'stopped';

/** Why the last attempt ended, which decides how long to wait before the next. */
type Outcome = 'normal' | 'rejected' | 'restart' | 'endorsed';

export class Agent {
  private socket: WebSocket | null = null;
  private readonly backoff: Backoff;
  private urlIndex = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private lastHeardAt = 0;
  private deadlineMs = 30_000;
  private stopped = false;
  /** Commands, files and metrics; the connection loop below only carries their messages. */
  private work: AgentWork | null = null;
  state: AgentState = 'waiting';
  nodeId: string | null = null;
  /** What it dials with: the configured token, or one the master rotated to over the channel. */
  private token: string;
  /** The certificate pins it accepts: configured, or stored after a rotation (pin-store.ts). */
  private pins: string[];

  /** This process is the trial of an upgrade until the master welcomes it (upgrade.ts). */
  private trial: { self: SelfProgram; timer: NodeJS.Timeout } | null = null;
  private upgrading = false;
  private dialedUrl = '';

  constructor(
    private readonly config: AgentConfig,
    private readonly log: AgentLogger,
    /** How the process ends after an upgrade (its service manager starts the new or previous agent). */
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {
    this.backoff = new Backoff({ baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs });
    this.token = config.token;
    this.pins = [...config.caFingerprint];
  }

  start(): void {
    if (!this.startTrial()) return;
    mkdirSync(this.config.stateDir, { recursive: true, mode: 0o700 });
    const chosen = effectiveToken(this.config.token, this.config.stateDir);
    this.token = chosen.token;
    if (chosen.from === 'state-dir')
      this.log.info('using the token the master rotated to (kept in the state directory)');
    if (this.config.caFingerprint.length > 0) {
      const pins = effectivePins(this.config.caFingerprint, this.config.stateDir);
      this.pins = pins.pins;
      if (pins.from === 'state-dir')
        this.log.info('using the certificate pins the master handed over (kept in the state directory)');
    }
    if (this.config.terminal && !TerminalEndpoint.supported()) {
      this.log.warn('--terminal is set but this host cannot open terminals: it needs util-linux `script` and `stty`');
    }
    this.work = new AgentWork({
      journalDir: join(this.config.stateDir, 'journal'),
      capabilities: capabilitiesOf(this.config),
      concurrency: this.config.maxConcurrentCommands,
      net: { include: this.config.netInclude, exclude: this.config.netExclude },
      metricsIntervalMs: this.config.metricsIntervalSec * 1000,
      terminalLimits: {
        maxSessions: this.config.terminalMaxSessions,
        idleMs: this.config.terminalIdleMin * 60_000,
        maxBytesPerSec: this.config.terminalMaxKibPerSec * 1024,
      },
      channel: {
        send: (message) => this.send(message),
        sendBinary: (frame) => {
          if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame, { binary: true });
        },
        bufferedAmount: () => this.socket?.bufferedAmount ?? 0,
      },
      adoptToken: (message) => this.adoptToken(message),
      adoptPins: (message) => this.adoptPins(message),
      pins: () => this.pins,
      log: this.log,
    });
    this.work.start();
    this.connect();
  }

  /** False when this start rolled a failed upgrade back (the process is exiting). */
  private startTrial(): boolean {
    let self: SelfProgram;
    try {
      self = selfProgram();
    } catch {
      return true; // not run from a file (embedded in a test): nothing can be on trial
    }
    const pending = pendingUpgrade(self);
    if (pending === 'rolled-back') {
      this.log.error('the upgraded agent did not connect in time; the previous agent is back, restarting it');
      this.exit(1);
      return false;
    }
    if (pending) {
      const timer = setTimeout(() => {
        this.log.error('the upgraded agent did not connect in time; putting the previous agent back');
        rollBack(self);
        this.exit(1);
      }, pending.deadlineMs - Date.now());
      this.trial = { self, timer };
    }
    return true;
  }

  /** The master's offer: swapped in and restarted, or refused with the reason (nothing changed). */
  private async upgrade(message: UpgradeMessage): Promise<void> {
    if (this.upgrading || this.trial) return;
    this.upgrading = true;
    const pins = this.dialedUrl.startsWith('wss://') && this.pins.length > 0 ? this.pins : null;
    try {
      await installUpgrade(message, selfProgram(), { url: this.dialedUrl, pins });
      this.log.info('installed the upgrade; restarting into it', { version: message.version });
      this.send({ type: 'upgrade-status', id: message.id, phase: 'restarting', error: null });
      await this.stop();
      this.exit(0);
    } catch (error) {
      const reason = (error as Error).message.slice(0, 1000);
      this.log.error('upgrade refused; this agent keeps running', { version: message.version, error: reason });
      this.send({ type: 'upgrade-status', id: message.id, phase: 'failed', error: reason });
      this.upgrading = false;
    }
  }

  /** Sends when connected; what cannot be sent now is journaled and re-sent after reconnecting. */
  private send(message: AgentMessage): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  /** Closes the connection with a normal code and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopHeartbeat();
    await this.work?.stop();
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return this.work?.close();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2_000);
      socket.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      socket.close(CloseCode.normal, 'agent stopping');
    });
    this.work?.close();
  }

  /** Only after start(): the work it reports exists from then on. */
  hello(): HelloMessage {
    if (!this.work) throw new Error('the agent says hello only after start()');
    return this.work.hello();
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.config.masters[this.urlIndex % this.config.masters.length] as string;
    this.dialedUrl = url;
    this.state = 'connecting';
    this.log.debug('connecting', { url });
    const pinned = url.startsWith('wss://') && this.pins.length > 0 ? this.pins : null;
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.token}` },
      maxPayload: MAX_CONTROL_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      // Client frames must be masked, but masking only protects browsers' intermediaries from
      // script-chosen bytes. Over TLS from a non-browser client an all-zero mask is safe and lets
      // ws skip the per-byte XOR, which otherwise caps file uploads from the agent.
      generateMask: (mask: Buffer) => mask.fill(0),
      ...(pinned ? { createConnection: pinnedConnect(pinned) as never } : {}),
    });
    this.socket = socket;
    let outcome: Outcome = 'normal';
    let endorsementPending: Promise<void> | null = null;

    socket.on('unexpected-response', (_req, res) => {
      const reason = String(res.headers[REJECT_REASON_HEADER] ?? `HTTP ${res.statusCode}`);
      if (res.statusCode === 401) {
        this.log.error(
          'the master rejected this agent\'s token (invalid, rotated or revoked); get a new one with "rotate token" on the master',
          { url, reason },
        );
        outcome = 'rejected';
      } else if (res.statusCode === 429) {
        this.log.error('the master is rate-limiting this address after failed logins', { url, reason });
        outcome = 'rejected';
      } else {
        this.log.warn('the master refused the connection', { url, status: res.statusCode, reason });
      }
      res.resume();
      socket.terminate();
    });
    socket.on('error', (error) => {
      if (error instanceof FingerprintMismatchError) {
        // A rotation this agent missed leaves an endorsement chain from its pins to the new
        // certificate; without one it is an impostor or a reinstalled master.
        outcome = 'rejected';
        endorsementPending = this.followEndorsements(url, error).then((ok) => {
          if (ok) outcome = 'endorsed';
          else this.log.error(error.message, { url });
        });
      } else {
        this.log.warn('connection failed', { url, error: error.message });
      }
    });
    socket.on('open', () => {
      this.lastHeardAt = Date.now();
      socket.send(JSON.stringify(this.hello()));
    });
    socket.on('message', (data, isBinary) => {
      this.lastHeardAt = Date.now();
      if (isBinary) this.work?.binary(data as Buffer);
      else this.receive(data.toString());
    });
    socket.on('ping', () => {
      this.lastHeardAt = Date.now();
    });
    socket.on('pong', () => {
      this.lastHeardAt = Date.now();
    });
    socket.on('close', (code, reasonBuffer) => {
      this.stopHeartbeat();
      void this.work?.disconnected();
      const reason = reasonBuffer.toString();
      if (this.state === 'connected') this.log.warn('disconnected', { url, code, reason });
      if (code === CloseCode.masterRestarting) outcome = 'restart';
      if (code === CloseCode.revoked || code === CloseCode.replaced || code === CloseCode.unsupportedProtocol) {
        this.log.error(this.explainClose(code, reason));
        outcome = 'rejected';
      }
      if (endorsementPending) void endorsementPending.then(() => this.scheduleReconnect(outcome));
      else this.scheduleReconnect(outcome);
    });
  }

  /** The served certificate is endorsed by one this agent pins: pin it instead (and store that). */
  private async followEndorsements(url: string, mismatch: FingerprintMismatchError): Promise<boolean> {
    try {
      const chain = await fetchEndorsements(url);
      if (!endorses(chain, mismatch.expected, mismatch.actual)) return false;
      this.pins = [mismatch.actual];
      persistPins(this.pins, this.config.caFingerprint, this.config.stateDir);
      this.log.warn(
        'the master rotated its certificate while this agent was away; its endorsement chain leads from our pin, so we pin the new one',
        {
          url,
          pin: mismatch.actual,
        },
      );
      return true;
    } catch (error) {
      this.log.warn("could not check the master's endorsement chain", { url, error: (error as Error).message });
      return false;
    }
  }

  /** New pins from the master (a rotation): stored first, used for every later dial, then acknowledged. */
  private adoptPins(message: PinsMessage): void {
    try {
      persistPins(message.pins, this.config.caFingerprint, this.config.stateDir);
      this.pins = [...new Set(message.pins)];
      this.log.info('stored the certificate pins the master handed over', { pins: this.pins.join(',') });
      this.send({ type: 'pins-ack', id: message.id, ok: true, pins: this.pins, error: null });
    } catch (error) {
      const reason = (error as Error).message.slice(0, 512);
      this.log.error('could not store the certificate pins the master handed over', { error: reason });
      this.send({ type: 'pins-ack', id: message.id, ok: false, pins: this.pins, error: reason });
    }
  }

  private receive(raw: string): void {
    const parsed = parseFrame(MasterMessage, raw);
    if (!parsed.ok) {
      this.log.warn('ignored an invalid message from the master', { error: parsed.error });
      return;
    }
    const message = parsed.value;
    switch (message.type) {
      case 'welcome':
        this.state = 'connected';
        this.nodeId = message.nodeId;
        this.backoff.reset();
        this.deadlineMs = Math.max(3 * message.heartbeatSec * 1000, 5_000);
        this.startHeartbeat(message.heartbeatSec * 1000);
        this.log.info('connected', { node: message.nodeName, nodeId: message.nodeId, master: message.masterVersion });
        this.work?.connected();
        if (this.trial) {
          clearTimeout(this.trial.timer);
          confirmUpgrade(this.trial.self);
          this.trial = null;
          this.log.info('the upgrade is confirmed: the master welcomed this version');
        }
        return;
      case 'upgrade':
        void this.upgrade(message);
        return;
      case 'error':
        this.log.warn('the master reported an error', { code: message.code, message: message.message });
        return;
      default:
        // Every other message is work; its dispatch is exhaustive over what remains (agent-work.ts).
        this.work?.handle(message);
    }
  }

  /**
   * A rotated token: stored durably first, then used for every later dial, then acknowledged. A crash
   * before the store leaves the old token (valid during the overlap; the master offers the new one
   * again on reconnect), after it the new one.
   */
  private adoptToken(message: TokenMessage): void {
    try {
      const storedIn = persistToken(message.token, {
        configured: this.config.token,
        tokenFile: this.config.tokenFile,
        stateDir: this.config.stateDir,
      });
      this.token = message.token;
      this.log.info('stored the token the master rotated to', { storedIn });
      this.send({ type: 'token-ack', id: message.id, ok: true, storedIn, error: null });
    } catch (error) {
      // Kept in memory at least: the agent stays connected past the overlap, until it restarts.
      this.token = message.token;
      const reason = (error as Error).message.slice(0, 512);
      this.log.error('could not store the token the master rotated to; give it by hand before a restart', {
        error: reason,
      });
      this.send({ type: 'token-ack', id: message.id, ok: false, storedIn: null, error: reason });
    }
  }

  /** The master pings us; if it goes silent (a half-open connection), we give up and redial. */
  private startHeartbeat(intervalMs: number): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (Date.now() - this.lastHeardAt > this.deadlineMs) {
        this.log.warn('the master went silent; reconnecting', { silentMs: Date.now() - this.lastHeardAt });
        socket.terminate();
        return;
      }
      if (socket.readyState === WebSocket.OPEN) socket.ping();
    }, intervalMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private scheduleReconnect(outcome: Outcome): void {
    this.socket = null;
    if (this.stopped) return;
    this.state = 'waiting';
    // A restarting master keeps its address, as does one whose new certificate we just took on;
    // every other failure tries the next one.
    if (outcome !== 'restart' && outcome !== 'endorsed') this.urlIndex += 1;
    const delay = outcome === 'endorsed' ? 0 : outcome === 'rejected' ? this.backoff.penalty() : this.backoff.next();
    this.log.info('reconnecting', { inMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private explainClose(code: number, reason: string): string {
    if (code === CloseCode.revoked) return `the master revoked this agent's token (${reason}); it needs a new token`;
    if (code === CloseCode.replaced) {
      return 'another agent connected with the same token and replaced this one; each host needs its own node and token';
    }
    return `the master cannot talk to this agent: ${reason}`;
  }
}

/** What this agent offers: files only with roots, writes only with files, processes only where /proc is. */
function capabilitiesOf(config: AgentConfig): Capabilities {
  const { exec, files, filesWrite, roots } = config;
  return {
    exec,
    files,
    filesWrite: files && filesWrite,
    roots: files ? roots : [],
    guardedWrites: true,
    processes: config.processes && processListSupported(),
    probes: config.probes,
    terminal: config.terminal && TerminalEndpoint.supported(),
  };
}
