// The agent side of terminals: opens a pty per session (capability `terminal`, off unless the agent
// was started with --terminal), enforces the per-session limits (sessions at once, idle time, output
// bytes per second) and sends output only while the master's credit window and the socket allow, so a
// program flooding its terminal blocks on the host instead of filling memory here or on the master.
import {
  type AgentMessage,
  type MasterMessage,
  type TerminalEndReason,
  type TerminalOpenMessage,
  TRANSFER_ID_BYTES,
  TRANSFER_SOCKET_HIGH_WATER,
} from '../protocol.js';
import { unhandled } from '../unhandled.js';
import { findPtyTools, loginShell, Pty } from './pty.js';

export interface TerminalLimits {
  /** Sessions open at once on this host. */
  maxSessions: number;
  /** A session without input for this long is closed. */
  idleMs: number;
  /** Output bytes per second per session (the program blocks beyond it). */
  maxBytesPerSec: number;
}

export const DEFAULT_TERMINAL_LIMITS: TerminalLimits = {
  maxSessions: 4,
  idleMs: 30 * 60_000,
  maxBytesPerSec: 8 * 1024 * 1024,
};

export interface TerminalChannel {
  sendJson(message: AgentMessage): void;
  sendBinary(frame: Buffer): void;
  bufferedAmount(): number;
}

export type TerminalMessage = Extract<
  MasterMessage,
  { type: 'terminal-open' | 'terminal-input' | 'terminal-resize' | 'terminal-ack' | 'terminal-close' }
>;

interface Session {
  id: string;
  pty: Pty;
  sent: number;
  acked: number;
  window: number;
  paused: boolean;
  /** Rate limit: bytes sent in the current one-second slot and when it started. */
  slotBytes: number;
  slotStart: number;
  lastInput: number;
  closing: TerminalEndReason | null;
}

export class TerminalEndpoint {
  private readonly sessions = new Map<string, Session>();
  private watch: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    /** false: every open is refused (the agent was not started with --terminal). */
    private readonly allowed: boolean,
    private readonly channel: TerminalChannel,
    private readonly limits: TerminalLimits = DEFAULT_TERMINAL_LIMITS,
  ) {}

  /** Whether this host can open terminals at all (the capability is offered only then). */
  static supported(): boolean {
    return 'script' in findPtyTools();
  }

  handle(message: TerminalMessage): void {
    switch (message.type) {
      case 'terminal-open':
        this.open(message);
        return;
      case 'terminal-input': {
        const session = this.sessions.get(message.id);
        if (!session) return;
        session.lastInput = Date.now();
        session.pty.write(message.data);
        return;
      }
      case 'terminal-resize':
        this.sessions.get(message.id)?.pty.resize(message);
        return;
      case 'terminal-ack': {
        const session = this.sessions.get(message.id);
        if (!session) return;
        session.acked = Math.min(session.sent, Math.max(session.acked, message.bytes));
        this.throttle(session);
        return;
      }
      case 'terminal-close':
        this.end(message.id, 'closed');
        return;
      default:
        unhandled(message, 'terminal endpoint');
    }
  }

  /** The connection to the master is gone: nobody can see these terminals any more. */
  closeAll(reason: TerminalEndReason = 'disconnected'): void {
    for (const id of [...this.sessions.keys()]) this.end(id, reason);
  }

  get openCount(): number {
    return this.sessions.size;
  }

  private open(message: TerminalOpenMessage): void {
    const { id } = message;
    const refuse = (code: string, text: string) =>
      this.channel.sendJson({
        type: 'terminal-closed',
        id,
        reason: 'refused',
        exitCode: null,
        error: { code, message: text },
      });
    if (!this.allowed) {
      refuse('capability_missing', 'This agent does not allow terminals: start it with --terminal to allow them.');
      return;
    }
    if (this.sessions.has(id)) return;
    if (this.sessions.size >= this.limits.maxSessions) {
      refuse(
        'limit_reached',
        `This host already has ${this.limits.maxSessions} terminals open (the agent's --terminal-max-sessions): close one first.`,
      );
      return;
    }
    const tools = findPtyTools();
    if (!('script' in tools)) {
      refuse('unsupported', `This host cannot open terminals: it lacks ${tools.missing}.`);
      return;
    }
    const shell = loginShell();
    const session: Session = {
      id,
      sent: 0,
      acked: 0,
      window: message.window,
      paused: false,
      slotBytes: 0,
      slotStart: Date.now(),
      lastInput: Date.now(),
      closing: null,
      pty: new Pty(tools, shell, message, {
        data: (chunk) => this.output(session, chunk),
        ready: (resizable) => this.channel.sendJson({ type: 'terminal-opened', id, shell, resizable }),
        exit: (code) => this.exited(session, code),
      }),
    };
    this.sessions.set(id, session);
    this.watchIdle();
  }

  private output(session: Session, chunk: Buffer): void {
    const header = Buffer.from(session.id, 'ascii');
    if (header.length !== TRANSFER_ID_BYTES) return;
    session.sent += chunk.length;
    session.slotBytes += chunk.length;
    this.channel.sendBinary(Buffer.concat([header, chunk]));
    this.throttle(session);
  }

  /** Pauses reading while the window is used up, the socket is backed up or the rate is exceeded. */
  private throttle(session: Session): void {
    const now = Date.now();
    if (now - session.slotStart >= 1000) {
      session.slotStart = now;
      session.slotBytes = 0;
    }
    const blocked =
      session.sent - session.acked >= session.window ||
      this.channel.bufferedAmount() > TRANSFER_SOCKET_HIGH_WATER ||
      session.slotBytes >= this.limits.maxBytesPerSec;
    if (blocked && !session.paused) {
      session.paused = true;
      session.pty.pause();
      this.watchPaused();
    } else if (!blocked && session.paused) {
      session.paused = false;
      session.pty.resume();
    }
  }

  /** No drain event on ws and no event when a rate slot ends: look at paused sessions every few ms. */
  private watchPaused(): void {
    if (this.watch) return;
    this.watch = setInterval(() => {
      let waiting = false;
      for (const session of this.sessions.values()) {
        if (session.paused) this.throttle(session);
        waiting ||= session.paused;
      }
      if (!waiting && this.watch) {
        clearInterval(this.watch);
        this.watch = null;
      }
    }, 5);
  }

  private watchIdle(): void {
    if (this.idleTimer) return;
    const every = Math.max(50, Math.min(10_000, Math.floor(this.limits.idleMs / 4)));
    this.idleTimer = setInterval(() => {
      const now = Date.now();
      for (const session of this.sessions.values()) {
        if (now - session.lastInput >= this.limits.idleMs) this.end(session.id, 'idle');
      }
      if (this.sessions.size === 0 && this.idleTimer) {
        clearInterval(this.idleTimer);
        this.idleTimer = null;
      }
    }, every);
    this.idleTimer.unref();
  }

  private end(id: string, reason: TerminalEndReason): void {
    const session = this.sessions.get(id);
    if (!session || session.closing) return;
    session.closing = reason;
    // Its last output would only wait for credit nobody will give: read it and let it go.
    session.window = Number.MAX_SAFE_INTEGER;
    session.paused = false;
    session.pty.resume();
    session.pty.kill();
  }

  private exited(session: Session, code: number | null): void {
    this.sessions.delete(session.id);
    const reason = session.closing ?? 'exited';
    const error =
      reason === 'idle'
        ? {
            code: 'idle',
            message: `closed after ${Math.round(this.limits.idleMs / 60_000)} min without input (the agent's --terminal-idle-min)`,
          }
        : null;
    this.channel.sendJson({ type: 'terminal-closed', id: session.id, reason, exitCode: code, error });
  }
}
