// The browser's WebSocket to a terminal session: `/api/terminals/<id>/socket?ticket=…` on the admin
// server (and the desktop app's loopback stream server). The ticket from openTerminal/terminalTicket is
// the only credential (a browser cannot send the admin header on a WebSocket), valid once for 60 s; it
// remembers who asked, and the socket is closed (4001) when that session or token ends or its roles change.
// Binary frames to the browser are output; text frames both ways are the schemas in
// contract/terminal-schemas.ts. Output is sent as it arrives from the agent: the agent's window
// (opened only by this browser's acknowledgements) bounds what can be queued here.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { parseFrame } from '../../agent/protocol.js';
import type { Caller } from '../contract/caller.js';
import { TERMINAL_SOCKET_PATH, TerminalClientFrame, type TerminalServerFrame } from '../contract/terminal-schemas.js';
import type { HeldCallers } from '../core/access/held-callers.js';
import type { Logger } from '../core/log.js';
import type { TerminalSessions, TerminalViewer } from '../core/terminal/sessions.js';
import { requestUrl } from './http-kit.js';

/** A frame from the browser: an input paste of 64 Ki characters, escaped, fits. */
const MAX_CLIENT_FRAME_BYTES = 512 * 1024;
/** Invalid frames tolerated before the socket is closed. */
const MAX_INVALID_FRAMES = 20;
/** A browser that does not attach within this long is let go. */
const ATTACH_DEADLINE_MS = 10_000;

export class TerminalSockets {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_FRAME_BYTES,
    perMessageDeflate: false,
  });

  constructor(
    private readonly sessions: TerminalSessions,
    private readonly log: Logger,
    /** Closes a socket whose caller was signed out or lost its roles (the desktop's needs none). */
    private readonly held: HeldCallers | null = null,
  ) {}

  /** Serves upgrades on `server` for terminal socket paths; any other upgrade is refused. */
  listen(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
  }

  close(): void {
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    const url = requestUrl(req.url ?? '/');
    const match = TERMINAL_SOCKET_PATH.exec(url.pathname);
    if (!match) {
      refuse(socket, 404, 'No WebSocket here.');
      return;
    }
    const sessionId = match[1] as string;
    const ticket = url.searchParams.get('ticket') ?? '';
    const caller = this.sessions.redeem(sessionId, ticket);
    if (!caller) {
      refuse(socket, 401, 'The terminal ticket is used up, expired or for another session: ask for a new one.');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, sessionId, caller));
  }

  private serve(ws: WebSocket, sessionId: string, caller: Caller): void {
    // The terminal stays open for its grace period: the browser asks for a new ticket, as it may now.
    const release = this.held?.hold(caller, () => ws.close(4001, 'signed out or roles changed')) ?? (() => undefined);
    const send = (frame: TerminalServerFrame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    };
    const viewer: TerminalViewer = {
      output: (data) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: true });
      },
      frame: send,
      close: (reason) => ws.close(1000, reason.slice(0, 120)),
    };
    let attached = false;
    let invalid = 0;
    const deadline = setTimeout(() => ws.close(4008, 'no attach frame'), ATTACH_DEADLINE_MS);
    ws.on('message', (raw: RawData, isBinary) => {
      const parsed = isBinary ? null : parseFrame(TerminalClientFrame, raw.toString());
      if (!parsed?.ok) {
        send({ type: 'error', message: parsed ? parsed.error : 'binary frames are not accepted' });
        if (++invalid >= MAX_INVALID_FRAMES) ws.close(4004, 'too many invalid frames');
        return;
      }
      try {
        const frame = parsed.value;
        if (frame.type === 'attach') {
          clearTimeout(deadline);
          attached = true;
          return this.sessions.attach(sessionId, viewer, frame.received);
        }
        if (!attached) return send({ type: 'error', message: 'attach first' });
        if (frame.type === 'input') this.sessions.input(sessionId, frame.data);
        else if (frame.type === 'resize') this.sessions.resize(sessionId, frame.cols, frame.rows);
        else this.sessions.ack(sessionId, viewer, frame.bytes);
      } catch (error) {
        send({ type: 'error', message: (error as Error).message });
        ws.close(1000, 'session ended');
      }
    });
    ws.on('close', () => {
      release();
      clearTimeout(deadline);
      this.sessions.detach(sessionId, viewer);
    });
    ws.on('error', (err) => this.log.debug({ err, sessionId }, 'terminal socket error'));
  }
}

function refuse(socket: Duplex, status: number, message: string): void {
  const text = status === 401 ? 'Unauthorized' : 'Not Found';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n` +
      `content-length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}
