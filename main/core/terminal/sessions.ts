// Terminal sessions on the master: each is a pty on one node (agent/terminal/), watched by at most one
// browser socket at a time (server/terminal-socket.ts). Output flows agent → here → browser under one
// credit window: the browser acknowledges what it has shown, that acknowledgement goes on to the agent,
// and the agent never has more than the window unacknowledged — so the master holds at most one window
// per session (kept for a browser that reattaches), whatever the program on the host prints. A session
// whose browser went away is kept for a grace period, then ended; every session is recorded.
import { createHash, randomBytes } from 'node:crypto';
import {
  TERMINAL_DEFAULT_WINDOW,
  type TerminalClosedMessage,
  type TerminalEndReason,
  TRANSFER_ID_BYTES,
} from '../../../agent/protocol.js';
import type { Caller } from '../../contract/caller.js';
import { FleetError } from '../../contract/errors.js';
import {
  type TerminalServerFrame,
  type TerminalSessionView,
  terminalSocketPath,
} from '../../contract/terminal-schemas.js';
import type { EventBus } from '../events.js';
import type { AgentLinks } from '../gateway/links.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import { Recording } from './recording.js';

export interface TerminalOptions {
  /** How long a session without a browser is kept before it is ended (default 60 s). */
  graceMs: number;
  /** Open sessions per node on this master (the agent has its own limit too). */
  maxPerNode: number;
  /** Open sessions on this master. */
  maxTotal: number;
  /** A recording stops at this many bytes of asciicast (default 16 MiB); the session goes on. */
  recordingMaxBytes: number;
  /** Output bytes the agent may send ahead of the browser's acknowledgements. */
  window: number;
}

export const DEFAULT_TERMINAL_OPTIONS: TerminalOptions = {
  graceMs: 60_000,
  maxPerNode: 8,
  maxTotal: 256,
  recordingMaxBytes: 16 * 1024 * 1024,
  window: TERMINAL_DEFAULT_WINDOW,
};

const TICKET_TTL_MS = 60_000;
const MAX_TICKETS = 1024;
/** Output past the window by more than this is a broken agent: the session is ended. */
const WINDOW_SLACK_BYTES = 64 * 1024;

export type EndReason = TerminalSessionView['endReason'] & string;

/** The browser's end of a session (a WebSocket in server/terminal-socket.ts). */
export interface TerminalViewer {
  output(data: Buffer): void;
  frame(frame: TerminalServerFrame): void;
  close(reason: string): void;
}

interface Session {
  view: TerminalSessionView;
  /** Output bytes received from the agent. */
  received: number;
  /** Output bytes the browser has acknowledged (and the agent was told of). */
  acked: number;
  /** Output after `acked`, for a browser that reattaches: at most one window. */
  unacked: Buffer[];
  viewer: TerminalViewer | null;
  grace: NodeJS.Timeout | null;
  recording: Recording;
  /** Resolves once the row is in the store (the end waits for it). */
  stored: Promise<unknown>;
}

const hashOf = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export class TerminalSessions {
  private readonly sessions = new Map<string, Session>();
  /** By the ticket's hash: the session it opens and who asked (the socket is held as that caller). */
  private readonly tickets = new Map<string, { sessionId: string; expiresAt: number; caller: Caller }>();
  private readonly ending = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly links: AgentLinks,
    private readonly bus: EventBus,
    private readonly instanceId: string,
    private readonly log: Logger,
    readonly options: TerminalOptions = DEFAULT_TERMINAL_OPTIONS,
  ) {}

  /** Starts a session on a node this master holds (callers checked the capability). */
  open(node: { id: string; name: string }, cols: number, rows: number): TerminalSessionView {
    const open = [...this.sessions.values()].filter((s) => s.view.state !== 'ended');
    if (open.length >= this.options.maxTotal) {
      throw new FleetError(
        'rate_limited',
        `This master has ${this.options.maxTotal} terminals open: close some first.`,
      );
    }
    if (open.filter((s) => s.view.nodeId === node.id).length >= this.options.maxPerNode) {
      throw new FleetError(
        'rate_limited',
        `${node.name} already has ${this.options.maxPerNode} terminals open from this master: close one first.`,
      );
    }
    const id = `t${randomBytes(8).toString('hex').slice(0, 15)}`;
    const startedAt = Date.now();
    const view: TerminalSessionView = {
      id,
      nodeId: node.id,
      nodeName: node.name,
      state: 'opening',
      startedAt,
      endedAt: null,
      endReason: null,
      exitCode: null,
      message: null,
      shell: null,
      cols,
      rows,
      attached: false,
      recordedBytes: 0,
      recordingTruncated: false,
    };
    const recording = new Recording(this.db, id, startedAt, this.options.recordingMaxBytes, (err) =>
      this.log.warn({ err, sessionId: id }, 'could not store a piece of a terminal recording'),
    );
    recording.header({ cols, rows, startedAt });
    const stored = this.db
      .insertInto('terminal_sessions')
      .values({
        id,
        node_id: node.id,
        node_name: node.name,
        instance_id: this.instanceId,
        started_at: startedAt,
        cols,
        rows,
        recorded_bytes: 0,
        recording_truncated: 0,
      })
      .execute()
      .catch((err) => this.log.warn({ err, sessionId: id }, 'could not store a terminal session'));
    const session: Session = { view, received: 0, acked: 0, unacked: [], viewer: null, grace: null, recording, stored };
    this.sessions.set(id, session);
    const sent = this.links.send(node.id, { type: 'terminal-open', id, cols, rows, window: this.options.window });
    if (!sent) {
      this.end(session, 'failed', null, `${node.name} disconnected before the terminal opened.`);
      throw new FleetError('node_offline', `${node.name} is not connected; open the terminal once it is.`);
    }
    this.startGrace(session);
    this.changed(session);
    return { ...view };
  }

  /** Whether this master holds the node's connection (sessions open only there). */
  reachable(nodeId: string): boolean {
    return this.links.isConnected(nodeId);
  }

  /** A single-use ticket for the session's socket (60 s), for `caller`. */
  ticket(sessionId: string, caller: Caller): { ticket: string; expiresAt: number; socketPath: string } {
    this.live(sessionId);
    const now = Date.now();
    for (const [key, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(key);
    while (this.tickets.size >= MAX_TICKETS) this.tickets.delete(this.tickets.keys().next().value as string);
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = now + TICKET_TTL_MS;
    this.tickets.set(hashOf(ticket), { sessionId, expiresAt, caller });
    return { ticket, expiresAt, socketPath: terminalSocketPath(sessionId) };
  }

  /** Who asked for the ticket, which is used up; null for an unknown, used or expired one, or another session's. */
  redeem(sessionId: string, ticket: string): Caller | null {
    const key = hashOf(ticket);
    const grant = this.tickets.get(key);
    this.tickets.delete(key);
    if (!grant || grant.expiresAt <= Date.now() || grant.sessionId !== sessionId) return null;
    return this.sessions.get(sessionId)?.view.state === 'ended' ? null : grant.caller;
  }

  /** A browser attaches, having shown `shown` output bytes already; an earlier browser is let go. */
  attach(sessionId: string, viewer: TerminalViewer, shown: number): void {
    const session = this.live(sessionId);
    if (session.viewer && session.viewer !== viewer) session.viewer.close('another window took this terminal over');
    session.viewer = viewer;
    if (session.grace) clearTimeout(session.grace);
    session.grace = null;
    const from = Math.min(Math.max(shown, session.acked), session.received);
    this.acknowledge(session, from);
    session.view.attached = true;
    viewer.frame({ type: 'attached', session: { ...session.view }, from });
    for (const chunk of session.unacked) viewer.output(chunk);
    this.changed(session);
  }

  detach(sessionId: string, viewer: TerminalViewer): void {
    const session = this.sessions.get(sessionId);
    if (!session || session.viewer !== viewer) return;
    session.viewer = null;
    session.view.attached = false;
    if (session.view.state !== 'ended') {
      this.startGrace(session);
      this.changed(session);
    }
  }

  /** The browser has shown output up to `bytes`: that much room opens on the agent. */
  ack(sessionId: string, viewer: TerminalViewer, bytes: number): void {
    const session = this.sessions.get(sessionId);
    if (session?.viewer === viewer) this.acknowledge(session, Math.min(bytes, session.received));
  }

  input(sessionId: string, data: string): void {
    const session = this.live(sessionId);
    this.links.send(session.view.nodeId, { type: 'terminal-input', id: sessionId, data });
    session.recording.input(data);
  }

  resize(sessionId: string, cols: number, rows: number): void {
    const session = this.live(sessionId);
    if (session.view.cols === cols && session.view.rows === rows) return;
    session.view.cols = cols;
    session.view.rows = rows;
    this.links.send(session.view.nodeId, { type: 'terminal-resize', id: sessionId, cols, rows });
    session.recording.resize(cols, rows);
  }

  close(sessionId: string): void {
    const session = this.live(sessionId);
    this.links.send(session.view.nodeId, { type: 'terminal-close', id: sessionId });
    // The agent answers terminal-closed; if it cannot, the session ends here anyway.
    if (!this.links.isConnected(session.view.nodeId)) this.end(session, 'closed', null, null);
  }

  /** An open session's view on this master, or null. */
  get(sessionId: string): TerminalSessionView | null {
    const session = this.sessions.get(sessionId);
    return session ? { ...session.view, recordedBytes: session.recording.bytes } : null;
  }

  /** Open sessions on this master. */
  openViews(): TerminalSessionView[] {
    return [...this.sessions.values()].map((s) => ({ ...s.view, recordedBytes: s.recording.bytes }));
  }

  // ---- from the agent ----------------------------------------------------------------------------

  onOpened(nodeId: string, id: string, shell: string): void {
    const session = this.sessions.get(id);
    if (!session || session.view.nodeId !== nodeId || session.view.state !== 'opening') return;
    session.view.state = 'open';
    session.view.shell = shell;
    this.changed(session);
  }

  onClosed(nodeId: string, message: TerminalClosedMessage): void {
    const session = this.sessions.get(message.id);
    if (!session || session.view.nodeId !== nodeId) return;
    this.end(session, message.reason, message.exitCode, message.error?.message ?? null);
  }

  /** Output: 16 bytes of session id, then the bytes. */
  onBinary(nodeId: string, frame: Buffer): void {
    const session = this.sessions.get(frame.subarray(0, TRANSFER_ID_BYTES).toString('ascii'));
    if (!session || session.view.nodeId !== nodeId || session.view.state === 'ended') return;
    const data = frame.subarray(TRANSFER_ID_BYTES);
    session.received += data.length;
    if (session.received - session.acked > this.options.window + WINDOW_SLACK_BYTES) {
      this.links.send(nodeId, { type: 'terminal-close', id: session.view.id });
      this.end(session, 'failed', null, 'The agent sent more output than it was allowed to: the session was ended.');
      return;
    }
    session.unacked.push(data);
    session.recording.output(data);
    session.viewer?.output(data);
  }

  /** The node's connection is gone (or it was revoked): its sessions are over. */
  nodeGone(nodeId: string, reason: EndReason = 'disconnected'): void {
    const message = reason === 'revoked' ? 'The node was revoked.' : 'The node disconnected.';
    for (const session of [...this.sessions.values()]) {
      if (session.view.nodeId === nodeId) this.end(session, reason, null, message);
    }
  }

  /** Master stopping: every session ends and its recording is written. */
  async stop(): Promise<void> {
    for (const session of [...this.sessions.values()]) {
      this.links.send(session.view.nodeId, { type: 'terminal-close', id: session.view.id });
      this.end(session, 'master_stopped', null, 'The master stopped.');
    }
    await Promise.all([...this.ending]);
  }

  private live(sessionId: string): Session {
    const session = this.sessions.get(sessionId);
    if (!session || session.view.state === 'ended') {
      throw new FleetError('not_found', 'This terminal session has ended (or is open on another master instance).');
    }
    return session;
  }

  private acknowledge(session: Session, bytes: number): void {
    if (bytes <= session.acked) return;
    let drop = bytes - session.acked;
    while (drop > 0 && session.unacked.length > 0) {
      const head = session.unacked[0] as Buffer;
      if (head.length <= drop) {
        session.unacked.shift();
        drop -= head.length;
      } else {
        session.unacked[0] = head.subarray(drop);
        drop = 0;
      }
    }
    session.acked = bytes;
    this.links.send(session.view.nodeId, { type: 'terminal-ack', id: session.view.id, bytes });
  }

  private startGrace(session: Session): void {
    if (session.grace) clearTimeout(session.grace);
    session.grace = setTimeout(() => {
      session.grace = null;
      if (session.viewer || session.view.state === 'ended') return;
      this.links.send(session.view.nodeId, { type: 'terminal-close', id: session.view.id });
      const seconds = Math.round(this.options.graceMs / 1000);
      this.end(session, 'closed', null, `No browser was attached for ${seconds} s.`);
    }, this.options.graceMs);
    session.grace.unref();
  }

  private end(
    session: Session,
    reason: EndReason | TerminalEndReason,
    exitCode: number | null,
    message: string | null,
  ) {
    if (session.view.state === 'ended') return;
    if (session.grace) clearTimeout(session.grace);
    session.grace = null;
    Object.assign(session.view, { state: 'ended', endedAt: Date.now(), endReason: reason, exitCode, message });
    session.unacked = [];
    this.sessions.delete(session.view.id);
    const view = { ...session.view, attached: false };
    const done = this.persistEnd(session, view).finally(() => this.ending.delete(done));
    this.ending.add(done);
    session.viewer?.frame({ type: 'session', session: view });
    session.viewer?.close('the session ended');
    session.viewer = null;
  }

  private async persistEnd(session: Session, view: TerminalSessionView): Promise<void> {
    await session.stored;
    await session.recording.finish();
    view.recordedBytes = session.recording.bytes;
    view.recordingTruncated = session.recording.truncated;
    await this.db
      .updateTable('terminal_sessions')
      .set({
        ended_at: view.endedAt,
        end_reason: view.endReason,
        exit_code: view.exitCode,
        message: view.message,
        shell: view.shell,
        cols: view.cols,
        rows: view.rows,
        recorded_bytes: view.recordedBytes,
        recording_truncated: view.recordingTruncated ? 1 : 0,
      })
      .where('id', '=', view.id)
      .execute()
      .catch((err) => this.log.warn({ err, sessionId: view.id }, 'could not store the end of a terminal session'));
    this.bus.emit('terminalSession', view);
  }

  private changed(session: Session): void {
    this.bus.emit('terminalSession', { ...session.view, recordedBytes: session.recording.bytes });
  }
}
