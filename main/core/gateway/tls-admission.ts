// Admits TLS handshakes a few at a time and bounds every connection that has not yet passed hello.
// In a reconnect storm thousands of agents dial within seconds; each handshake is CPU work on the
// main thread, and one event-loop iteration serves every ready socket, so unbounded handshakes starve
// timers (heartbeats, dispatch) for seconds. Accepted TCP connections wait, costing a file descriptor
// and nothing else, until a slot frees.
//
// A connection only queues for a slot once it has sent its first byte (a TLS client sends its
// ClientHello at once): silent sockets never hold a slot, are closed after a short deadline, and one
// address without a good history may hold only so many. Every stage has a deadline (first byte,
// handshake, upgrade request complete; the hello deadline is the connection's own), and connections not
// yet past hello are capped below the process's descriptor limit. Past the cap a new connection is
// closed at once, unless its address recently had an agent get in: then it takes the place of the
// oldest not-yet-upgraded connection of an address without that history.
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { type SecureContext, TLSSocket } from 'node:tls';
import { GoodAddresses } from './good-addresses.js';

export interface TlsAdmissionOptions {
  secureContext: SecureContext;
  /** Handshakes in progress at once. */
  maxConcurrent: number;
  /** Connections waiting for a slot; beyond this new ones are closed at once (agents redial later). */
  maxQueued: number;
  /** A connection that waited longer is closed unread: its client (10 s handshake timeout) gave up. */
  maxWaitMs: number;
  /** A TLS handshake holds its slot at most this long. */
  handshakeTimeoutMs: number;
  /** A connection that sends nothing this long after accept is closed; it never held a slot. */
  firstByteTimeoutMs: number;
  /** From accept until the HTTP upgrade request is complete (TLS and headers together). */
  upgradeTimeoutMs: number;
  /** Connections accepted and not yet past hello, at most. */
  maxUnauthenticated: number;
  /** Gateway connections at most, past hello or not (below the descriptor limit). */
  maxConnections: number;
  /** Connections that have sent nothing yet, per address without a good history. */
  maxSilentPerAddress: number;
  /**
   * The address's cap refuses only while its oldest silent connection has been silent this long: in a
   * reconnect storm thousands of sockets are accepted before the loop has read any of their (already
   * sent) ClientHellos, and a master that just restarted remembers no good history to exempt them.
   */
  silentGraceMs: number;
}

export const DEFAULT_TLS_ADMISSION: Omit<TlsAdmissionOptions, 'secureContext'> = {
  maxConcurrent: 64,
  maxQueued: 20_000,
  maxWaitMs: 8_000,
  handshakeTimeoutMs: 10_000,
  firstByteTimeoutMs: 2_000,
  upgradeTimeoutMs: 15_000,
  maxUnauthenticated: Number.POSITIVE_INFINITY,
  maxConnections: Number.POSITIVE_INFINITY,
  maxSilentPerAddress: 1_024,
  silentGraceMs: 1_000,
};

/** Now open, and closed since start, by cause. */
export interface HandshakeFigures {
  /** TLS handshakes holding a slot. */
  inProgress: number;
  /** Connections that spoke, waiting for a slot. */
  waiting: number;
  /** Closed unserved: the wait was full or too long. */
  shed: number;
  /** Accepted connections that have sent nothing yet. */
  silent: number;
  /** Accepted and not yet past hello. */
  unauthenticated: number;
  /** Closed at accept: over the unauthenticated cap or the address's silent cap. */
  refused: number;
  /** Closed to make room for a connection from an address with a good history. */
  evicted: number;
  /** Closed by a deadline: no first byte, handshake too slow, upgrade request incomplete. */
  timedOut: number;
}

/** One connection from accept until hello (or its close). */
interface Pending {
  raw: Socket;
  secure: TLSSocket | null;
  address: string;
  acceptedAt: number;
  silent: boolean;
  upgraded: boolean;
  /** Until the first byte, and until the upgrade request is complete. */
  firstByteTimer: NodeJS.Timeout | null;
  upgradeTimer: NodeJS.Timeout | null;
}

export class TlsAdmission {
  private readonly waiting: Pending[] = [];
  private head = 0;
  private inFlight = 0;
  private stopped = false;
  /** Not yet past hello, oldest first. */
  private readonly pending = new Set<Pending>();
  /** Not yet upgraded, from addresses without a good history, oldest first: who makes room. */
  private readonly strangers = new Set<Pending>();
  /** Silent connections per address, oldest first. */
  private readonly silentByAddress = new Map<string, Set<Pending>>();
  private readonly bySocket = new WeakMap<object, Pending>();
  private silentCount = 0;
  /** Connections closed because the queue was full or they waited too long. */
  shed = 0;
  refused = 0;
  evicted = 0;
  timedOut = 0;

  /** Replaced by a certificate rotation; handshakes from then on present the new certificate. */
  setSecureContext(secureContext: SecureContext): void {
    this.options = { ...this.options, secureContext };
  }

  constructor(
    private options: TlsAdmissionOptions,
    /** Receives each connection once its handshake is done (an HTTP server parsing the upgrade). */
    private readonly http: HttpServer,
    /** Gateway connections past hello: they share the descriptor budget. */
    private readonly authenticated: () => number = () => 0,
    private readonly good = new GoodAddresses(),
  ) {}

  /** For a server created with `pauseOnConnect: true`: read only to see the first byte, then queued. */
  admit(raw: Socket): void {
    raw.on('error', () => raw.destroy());
    const address = raw.remoteAddress ?? 'unknown';
    if (this.stopped || !this.makeRoom(address)) {
      this.refused += 1;
      raw.destroy();
      return;
    }
    const entry: Pending = {
      raw,
      secure: null,
      address,
      acceptedAt: Date.now(),
      silent: true,
      upgraded: false,
      firstByteTimer: null,
      upgradeTimer: null,
    };
    this.pending.add(entry);
    if (!this.good.has(address)) this.strangers.add(entry);
    this.countSilent(entry, 1);
    const expire = () => this.expire(entry);
    entry.firstByteTimer = setTimeout(expire, this.options.firstByteTimeoutMs);
    entry.upgradeTimer = setTimeout(expire, this.options.upgradeTimeoutMs);
    raw.once('close', () => this.release(entry));
    raw.once('data', (chunk: Buffer) => this.spoke(entry, chunk));
    raw.resume();
  }

  /** The upgrade request of this (secured) socket is complete: its deadline ends, hello's begins. */
  upgraded(socket: object): void {
    const entry = this.bySocket.get(socket);
    if (!entry) return;
    entry.upgraded = true;
    clearTimers(entry);
    this.strangers.delete(entry);
  }

  /** An agent on this socket sent a valid hello: it leaves the budget and its address earns a good history. */
  passedHello(socket: object, address: string): void {
    const entry = this.bySocket.get(socket);
    if (entry) this.release(entry);
    this.good.record(address);
  }

  get queued(): number {
    return this.waiting.length - this.head;
  }

  get handshaking(): number {
    return this.inFlight;
  }

  get figures(): HandshakeFigures {
    return {
      inProgress: this.inFlight,
      waiting: this.queued,
      shed: this.shed,
      silent: this.silentCount,
      unauthenticated: this.pending.size,
      refused: this.refused,
      evicted: this.evicted,
      timedOut: this.timedOut,
    };
  }

  stop(): void {
    this.stopped = true;
    for (const entry of [...this.pending]) if (!entry.upgraded) this.close(entry);
    this.waiting.length = 0;
    this.head = 0;
  }

  /** Whether a new connection from `address` may be accepted, closing a stranger's if that makes room. */
  private makeRoom(address: string): boolean {
    const good = this.good.has(address);
    if (!good && this.silentFlood(address)) return false;
    if (!this.full()) return true;
    if (!good) return false;
    for (const other of this.strangers) {
      this.strangers.delete(other);
      if (this.good.has(other.address)) continue;
      this.evicted += 1;
      this.close(other);
      return true;
    }
    return false;
  }

  private full(): boolean {
    const open = this.pending.size;
    return open >= this.options.maxUnauthenticated || open + this.authenticated() >= this.options.maxConnections;
  }

  private spoke(entry: Pending, chunk: Buffer): void {
    // The bytes go back so the TLS socket made later reads them first (it drains what is buffered).
    entry.raw.pause();
    entry.raw.unshift(chunk);
    this.quiet(entry);
    if (entry.firstByteTimer) clearTimeout(entry.firstByteTimer);
    entry.firstByteTimer = null;
    // Queued after this 'data' event returns: the stream's flow loop is still running and would
    // consume the chunk given back if the socket were resumed (by a handshake) inside it.
    process.nextTick(() => this.enqueue(entry));
  }

  private enqueue(entry: Pending): void {
    if (!this.pending.has(entry)) return;
    if (this.queued >= this.options.maxQueued) {
      this.shed += 1;
      this.close(entry);
      return;
    }
    this.waiting.push(entry);
    this.admitNext();
  }

  private expire(entry: Pending): void {
    if (!this.pending.has(entry) || entry.upgraded) return;
    this.timedOut += 1;
    this.close(entry);
  }

  private close(entry: Pending): void {
    this.release(entry);
    // Once wrapped, the TLS socket owns the descriptor; destroying it closes the raw one too.
    (entry.secure ?? entry.raw).destroy();
  }

  /** Out of the budget (closed or past hello); safe to call more than once. */
  private release(entry: Pending): void {
    if (!this.pending.delete(entry)) return;
    this.strangers.delete(entry);
    this.quiet(entry);
    clearTimers(entry);
  }

  private quiet(entry: Pending): void {
    if (!entry.silent) return;
    entry.silent = false;
    this.countSilent(entry, -1);
  }

  /** The address holds its share of silent connections, and the oldest has been silent past the grace. */
  private silentFlood(address: string): boolean {
    const silent = this.silentByAddress.get(address);
    if (!silent || silent.size < this.options.maxSilentPerAddress) return false;
    const oldest = silent.values().next().value as Pending;
    return Date.now() - oldest.acceptedAt >= this.options.silentGraceMs;
  }

  private countSilent(entry: Pending, delta: 1 | -1): void {
    this.silentCount += delta;
    const silent = this.silentByAddress.get(entry.address) ?? new Set<Pending>();
    if (delta > 0) silent.add(entry);
    else silent.delete(entry);
    if (silent.size > 0) this.silentByAddress.set(entry.address, silent);
    else this.silentByAddress.delete(entry.address);
  }

  private admitNext(): void {
    while (this.inFlight < this.options.maxConcurrent && this.queued > 0) {
      const next = this.waiting[this.head++] as Pending;
      if (this.head > 1024 && this.head * 2 > this.waiting.length) {
        this.waiting.splice(0, this.head);
        this.head = 0;
      }
      if (next.raw.destroyed) continue;
      if (Date.now() - next.acceptedAt > this.options.maxWaitMs) {
        this.shed += 1;
        this.close(next);
        continue;
      }
      this.handshake(next);
    }
    // Drained: drop the references to served connections now rather than at the next splice.
    if (this.queued === 0) {
      this.waiting.length = 0;
      this.head = 0;
    }
  }

  private handshake(entry: Pending): void {
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
    const secure = new TLSSocket(entry.raw, {
      isServer: true,
      secureContext: this.options.secureContext,
      requestCert: false,
      rejectUnauthorized: false,
    });
    entry.secure = secure;
    this.bySocket.set(secure, entry);
    const timer = setTimeout(() => {
      if (!settle()) return;
      this.timedOut += 1;
      this.close(entry);
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
    secure.once('close', () => {
      settle();
      this.release(entry);
    });
    entry.raw.resume();
  }
}

function clearTimers(entry: Pending): void {
  if (entry.firstByteTimer) clearTimeout(entry.firstByteTimer);
  if (entry.upgradeTimer) clearTimeout(entry.upgradeTimer);
  entry.firstByteTimer = null;
  entry.upgradeTimer = null;
}
