// Admits TLS handshakes a few at a time. In a reconnect storm thousands of agents dial within
// seconds; each handshake is CPU work on the main thread, and one event-loop iteration serves every
// ready socket, so unbounded handshakes starve timers (heartbeats, dispatch) for seconds. Accepted
// TCP connections wait paused, costing a file descriptor and nothing else, until a slot frees.
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';

export interface TlsAdmissionOptions {
  secureContext: SecureContext;
  /** Handshakes in progress at once. */
  maxConcurrent: number;
  /** Connections waiting for a slot; beyond this new ones are closed at once (agents redial later). */
  maxQueued: number;
  /** A connection that waited longer is closed unread: its client (10 s handshake timeout) gave up. */
  maxWaitMs: number;
  handshakeTimeoutMs: number;
}

export const DEFAULT_TLS_ADMISSION: Omit<TlsAdmissionOptions, 'secureContext'> = {
  maxConcurrent: 64,
  maxQueued: 20_000,
  maxWaitMs: 8_000,
  handshakeTimeoutMs: 10_000,
};

/** In progress, waiting for a slot, and closed unserved since start. */
export interface HandshakeFigures {
  inProgress: number;
  waiting: number;
  shed: number;
}

interface Waiting {
  socket: Socket;
  since: number;
}

export class TlsAdmission {
  private readonly waiting: Waiting[] = [];
  private head = 0;
  private inFlight = 0;
  private stopped = false;
  /** Connections closed because the queue was full or they waited too long. */
  shed = 0;

  constructor(
    private readonly options: TlsAdmissionOptions,
    /** Receives each connection once its handshake is done (an HTTP server parsing the upgrade). */
    private readonly http: HttpServer,
  ) {}

  /** For a server created with `pauseOnConnect: true`: the socket is not read until admitted. */
  admit(socket: Socket): void {
    if (this.stopped || this.queued >= this.options.maxQueued) {
      this.shed += 1;
      socket.destroy();
      return;
    }
    this.waiting.push({ socket, since: Date.now() });
    this.admitNext();
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }

  get handshaking(): number {
    return this.inFlight;
  }

  get figures(): HandshakeFigures {
    return { inProgress: this.inFlight, waiting: this.queued, shed: this.shed };
  }

  stop(): void {
    this.stopped = true;
    for (let i = this.head; i < this.waiting.length; i++) this.waiting[i]?.socket.destroy();
    this.waiting.length = 0;
    this.head = 0;
  }

  private admitNext(): void {
    while (this.inFlight < this.options.maxConcurrent && this.queued > 0) {
      const next = this.waiting[this.head++] as Waiting;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      if (next.socket.destroyed) continue;
      if (Date.now() - next.since > this.options.maxWaitMs) {
        this.shed += 1;
        next.socket.destroy();
        continue;
      }
      this.handshake(next.socket);
    }
  }

  private handshake(raw: Socket): void {
    this.inFlight += 1;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      this.inFlight -= 1;
      // Outside this call stack: a burst of failures must not recurse through admitNext.
      setImmediate(() => this.admitNext());
      return true;
    };
    const secure = new TLSSocket(raw, {
      isServer: true,
      secureContext: this.options.secureContext,
      requestCert: false,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      if (settle()) secure.destroy();
    }, this.options.handshakeTimeoutMs);
    secure.once('secure', () => {
      if (settle()) this.http.emit('connection', secure);
    });
    secure.on('error', () => {
      settle();
      secure.destroy();
    });
    // A TLS socket made outside tls.Server reports TLS errors after the handshake only on this
    // internal event (tls.Server listens to it the same way); the connection is unusable then.
    secure.on('_tlsError', () => secure.destroy());
    secure.once('close', settle);
    raw.resume();
  }
}
