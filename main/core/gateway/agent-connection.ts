// One authenticated agent socket: hello handshake, frame validation, abuse counting, heartbeats.
import type WebSocket from 'ws';
import {
  AgentMessage,
  CloseCode,
  type HelloMessage,
  type MasterMessage,
  PROTOCOL_VERSION,
  parseFrame,
} from '../../../agent/protocol.js';

export interface ConnectionTimings {
  /** Interval between pings to this agent. */
  heartbeatMs: number;
  /** Silence longer than this and the agent is considered gone. */
  deadlineMs: number;
  helloTimeoutMs: number;
  maxInvalidFrames: number;
}

export interface ConnectionHooks {
  onHello(connection: AgentConnection, hello: HelloMessage): Promise<void>;
  onMessage(connection: AgentConnection, message: AgentMessage): void;
  /** Binary frames (file data); only after hello. */
  onBinary(connection: AgentConnection, data: Buffer): void;
  onHeard(connection: AgentConnection): void;
  onClose(connection: AgentConnection, code: number, reason: string): void;
}

export class AgentConnection {
  private ready = false;
  private invalidFrames = 0;
  private lastHeardAt = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private socketError = '';
  /** Set once its token no longer stands: frames still on the way are dropped, not acted on. */
  private retired = false;
  private expiry: NodeJS.Timeout | null = null;

  constructor(
    readonly nodeId: string,
    readonly nodeName: string,
    readonly remoteAddress: string,
    /** The hash of the token this connection authenticated with. */
    readonly tokenHash: string,
    private readonly socket: WebSocket,
    private readonly timings: ConnectionTimings,
    private readonly hooks: ConnectionHooks,
  ) {
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => this.heard());
    socket.on('ping', () => this.heard());
    socket.on('close', (code, reason) => this.closedBySocket(code, reason.toString() || this.socketError));
    // ws reports protocol violations (e.g. a frame over maxPayload) here, then drops the socket.
    socket.on('error', (error) => {
      this.socketError = error.message;
      socket.terminate();
    });
    this.timers.push(
      setTimeout(() => {
        if (!this.ready) this.close(CloseCode.helloTimeout, 'no hello received in time');
      }, timings.helloTimeoutMs),
    );
    this.startHeartbeat();
  }

  send(message: MasterMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  sendBinary(frame: Buffer): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(frame, { binary: true });
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
      // A peer that never answers the close handshake is cut off.
      const kill = setTimeout(() => this.socket.terminate(), 2_000);
      kill.unref();
    }
  }

  /** Closes now and ignores every frame still arriving: the token it used no longer stands. */
  retire(code: number, reason: string): void {
    this.retired = true;
    this.close(code, reason);
  }

  get isRetired(): boolean {
    return this.retired;
  }

  /** Retires the connection when `at` passes (a rotated token's overlap); a later call replaces it. */
  expireAt(at: number, code: number, reason: string): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.retire(code, reason), Math.max(0, at - Date.now()));
    this.expiry.unref();
  }

  /** Pings start at a random offset so a fleet's heartbeats spread over the interval. */
  private startHeartbeat(): void {
    const { heartbeatMs } = this.timings;
    const first = setTimeout(
      () => {
        this.beat();
        this.timers.push(setInterval(() => this.beat(), heartbeatMs));
      },
      Math.floor(Math.random() * heartbeatMs),
    );
    this.timers.push(first);
  }

  private beat(): void {
    if (Date.now() - this.lastHeardAt > this.timings.deadlineMs) {
      this.socket.terminate();
      this.closedBySocket(CloseCode.heartbeatTimeout, 'heartbeat deadline missed');
      return;
    }
    if (this.socket.readyState === this.socket.OPEN) this.socket.ping();
  }

  private heard(): void {
    this.lastHeardAt = Date.now();
    if (this.ready) this.hooks.onHeard(this);
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.retired) return;
    this.heard();
    if (isBinary) {
      if (this.ready) this.hooks.onBinary(this, data as Buffer);
      else this.reject('binary frames are not expected before hello');
      return;
    }
    const parsed = parseFrame(AgentMessage, data.toString());
    if (!parsed.ok) {
      this.reject(parsed.error);
      return;
    }
    const message = parsed.value;
    if (message.type === 'hello') {
      void this.handleHello(message);
    } else if (!this.ready) {
      this.close(CloseCode.protocolError, 'the first message must be hello');
    } else {
      this.hooks.onMessage(this, message);
    }
  }

  private async handleHello(hello: HelloMessage): Promise<void> {
    if (this.ready) return this.reject('hello was already received');
    if (hello.protocol !== PROTOCOL_VERSION) {
      this.send({
        type: 'error',
        code: 'unsupported_protocol',
        message: `agent speaks protocol ${hello.protocol}, master speaks ${PROTOCOL_VERSION}: upgrade the older side`,
      });
      return this.close(CloseCode.unsupportedProtocol, 'unsupported protocol version');
    }
    this.ready = true;
    await this.hooks.onHello(this, hello);
  }

  private reject(error: string): void {
    this.invalidFrames += 1;
    this.send({ type: 'error', code: 'invalid_message', message: error.slice(0, 1024) });
    if (this.invalidFrames >= this.timings.maxInvalidFrames) {
      this.close(CloseCode.abusive, 'too many invalid messages');
    }
  }

  private closedBySocket(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
    if (this.expiry) clearTimeout(this.expiry);
    this.hooks.onClose(this, code, reason);
  }

  get isReady(): boolean {
    return this.ready;
  }
}
