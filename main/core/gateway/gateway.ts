// The agent gateway: a WebSocket server on its own port, TLS by default. Agents authenticate with
// their token during the HTTP upgrade; one live connection per node; offline detection by heartbeat.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext } from 'node:tls';
import { WebSocketServer } from 'ws';
import {
  type AgentMessage,
  CloseCode,
  type HelloMessage,
  MAX_CONTROL_FRAME_BYTES,
  type MasterMessage,
  REJECT_REASON_HEADER,
} from '../../../agent/protocol.js';
import type { Logger } from '../log.js';
import { type TokenStanding, tokenStanding } from '../nodes/credentials.js';
import type { NodeRegistry } from '../nodes/registry.js';
import { retryWithBackoff } from '../retry.js';
import { AgentConnection, type ConnectionTimings } from './agent-connection.js';
import { descriptorBudget } from './descriptors.js';
import { FailureLimiter } from './failure-limiter.js';
import type { TlsIdentity } from './tls.js';
import {
  DEFAULT_TLS_ADMISSION,
  type HandshakeFigures,
  TlsAdmission,
  type TlsAdmissionOptions,
} from './tls-admission.js';

export interface GatewayOptions {
  host: string;
  port: number;
  tls: TlsIdentity | null;
  registry: NodeRegistry;
  log: Logger;
  masterVersion: string;
  timings?: Partial<ConnectionTimings>;
  /** After a restart, nodes the database thinks online get this long to reconnect. */
  restartGraceMs?: number;
  limiter?: FailureLimiter;
  tlsAdmission?: Partial<Omit<TlsAdmissionOptions, 'secureContext'>>;
  /** `tokenHash`: the token the connection used; a result is accepted only while it stands. */
  onMessage?: (nodeId: string, message: AgentMessage, tokenHash: string) => void;
  /** How often the credentials version is checked for changes made on any instance (default 500 ms). */
  credentialCheckMs?: number;
  /** After hello is recorded and welcome sent: the queue redelivers and dispatches. */
  /** `tokenHash`: the token the connection used (a rotation in its overlap offers the new one). */
  onConnected?: (nodeId: string, hello: HelloMessage, tokenHash: string) => void;
  onBinary?: (nodeId: string, data: Buffer) => void;
  onDisconnected?: (nodeId: string) => void;
  /** Plain HTTP requests (not upgrades): the install script, agent files, enrollment (core/enroll). */
  onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
}

export const DEFAULT_TIMINGS: ConnectionTimings = {
  heartbeatMs: 3_000,
  deadlineMs: 9_000,
  helloTimeoutMs: 10_000,
  maxInvalidFrames: 20,
};

export class AgentGateway {
  private server: Server | null = null;
  private listener: Server | NetServer | null = null;
  private admission: TlsAdmission | null = null;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CONTROL_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly connections = new Map<string, AgentConnection>();
  /** Every authenticated socket, before and after hello: a revoke must reach those not yet attached. */
  private readonly authenticated = new Set<AgentConnection>();
  private credentialTimer: NodeJS.Timeout | null = null;
  private credentialsSeen: number | null = null;
  private credentialCheckFailing = false;
  private readonly timings: ConnectionTimings;
  private readonly limiter: FailureLimiter;
  private graceTimer: NodeJS.Timeout | null = null;
  private stopping = false;

  constructor(private readonly options: GatewayOptions) {
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.limiter = options.limiter ?? new FailureLimiter();
  }

  async start(): Promise<{ host: string; port: number }> {
    const { tls } = this.options;
    // With TLS, the listening server only accepts; handshakes are admitted a few at a time and the
    // secured sockets handed to the HTTP server that parses upgrades.
    const server = createHttpServer();
    const listener = tls ? this.admittingListener(tls, server) : server;
    server.on('request', (req, res) => {
      // The request's headers are complete: the upgrade deadline is done, the route bounds the rest.
      this.admission?.upgraded(req.socket);
      if (this.options.onRequest) return this.options.onRequest(req, res);
      res.writeHead(426, { 'content-type': 'text/plain' }).end('FleetDeck agent gateway: WebSocket only\n');
    });
    server.on('upgrade', (req, socket, head) => void this.upgrade(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    // Without TLS the HTTP server listens itself, so Node's own header deadline applies; with TLS it
    // is fed connections and the admission's upgrade deadline does that job.
    if (!tls)
      server.headersTimeout = this.options.tlsAdmission?.upgradeTimeoutMs ?? DEFAULT_TLS_ADMISSION.upgradeTimeoutMs;
    this.server = server;
    this.listener = listener;
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.options.port, this.options.host, () => resolve());
    });
    await this.startRestartGrace();
    await this.watchCredentials();
    const address = listener.address();
    const port = typeof address === 'object' && address ? address.port : this.options.port;
    return { host: this.options.host, port };
  }

  private admittingListener(tls: TlsIdentity, http: Server): NetServer {
    const options = this.admissionOptions();
    const admission = new TlsAdmission(
      { ...options, secureContext: createSecureContext({ key: tls.key, cert: tls.cert }) },
      http,
      () => this.connections.size,
    );
    this.admission = admission;
    return createNetServer({ pauseOnConnect: true }, (socket) => admission.admit(socket));
  }

  /**
   * Caps derived from the descriptor limit unless given: the gateway stays a reserve below it (admin
   * listener, database, files), and one address without a good history holds at most a quarter of
   * the unauthenticated budget in silent connections.
   */
  private admissionOptions(): Omit<TlsAdmissionOptions, 'secureContext'> {
    const given = this.options.tlsAdmission ?? {};
    const budget = descriptorBudget();
    const maxConnections = given.maxConnections ?? budget.gateway;
    const maxUnauthenticated = given.maxUnauthenticated ?? maxConnections;
    const share = Math.floor(Math.min(maxConnections, maxUnauthenticated) / 4);
    const maxSilentPerAddress = Number.isFinite(share)
      ? Math.max(64, share)
      : DEFAULT_TLS_ADMISSION.maxSilentPerAddress;
    const options = { ...DEFAULT_TLS_ADMISSION, maxConnections, maxUnauthenticated, maxSilentPerAddress, ...given };
    this.options.log.info(
      {
        descriptorLimit: budget.limit,
        maxConnections: options.maxConnections,
        maxUnauthenticated: options.maxUnauthenticated,
        maxSilentPerAddress: options.maxSilentPerAddress,
      },
      'agent gateway connection budget',
    );
    return options;
  }

  /** Failed authentications per address (wrong tokens, and wrong enrollment codes). */
  get failures(): FailureLimiter {
    return this.limiter;
  }

  /** TLS handshakes in progress and connections waiting for one (null without TLS). */
  get handshakes(): HandshakeFigures | null {
    return this.admission?.figures ?? null;
  }

  get connectedCount(): number {
    return this.connections.size;
  }

  /** Nodes whose agents are connected here (past hello). */
  connectedNodeIds(): string[] {
    return [...this.connections.keys()];
  }

  /** Serves another certificate from the next handshake on (a rotation); open connections keep theirs. */
  setIdentity(identity: TlsIdentity): void {
    this.admission?.setSecureContext(createSecureContext({ key: identity.key, cert: identity.cert }));
  }

  isConnected(nodeId: string): boolean {
    return this.connections.has(nodeId);
  }

  send(nodeId: string, message: MasterMessage): boolean {
    const connection = this.connections.get(nodeId);
    if (!connection) return false;
    connection.send(message);
    return true;
  }

  sendBinary(nodeId: string, frame: Buffer): boolean {
    const connection = this.connections.get(nodeId);
    if (!connection) return false;
    connection.sendBinary(frame);
    return true;
  }

  bufferedAmount(nodeId: string): number {
    return this.connections.get(nodeId)?.bufferedAmount ?? 0;
  }

  /**
   * Checks the token each connection used (of these nodes, or all) against the database: a token
   * that no longer stands closes its connection at once and its frames are dropped from then on;
   * one inside a rotation overlap closes when the overlap ends. Called right after a change on this
   * instance, and by the credentials watch for changes made on any other. `spareTokenHash`: connections
   * on that token are left for a later re-check (a rotation's previous token, whose agent is being
   * handed the new one).
   */
  async recheckCredentials(nodeIds?: string[], spareTokenHash: string | null = null): Promise<void> {
    const wanted = nodeIds ? new Set(nodeIds) : null;
    const held = [...this.authenticated].filter(
      (c) => !c.isRetired && (!wanted || wanted.has(c.nodeId)) && c.tokenHash !== spareTokenHash,
    );
    if (held.length === 0) return;
    const rows = await this.options.registry.credentialsOf(held.map((c) => c.nodeId));
    const now = Date.now();
    for (const connection of held) {
      const standing = tokenStanding(rows.get(connection.nodeId), connection.tokenHash, now);
      if (!standing.valid) {
        const { code, reason } = closeFor(standing);
        this.options.log.info(
          { nodeId: connection.nodeId, reason },
          'agent connection closed: its token no longer stands',
        );
        connection.retire(code, reason);
      } else if (standing.expiresAt !== null) {
        connection.expireAt(standing.expiresAt, CloseCode.revoked, 'token rotated; old token expired');
      }
    }
  }

  /** Polls the credentials version; when another instance (or this one) changed a token, re-check. */
  private async watchCredentials(): Promise<void> {
    this.credentialsSeen = await this.options.registry.credentialsVersion().catch(() => null);
    const check = async () => {
      try {
        const version = await this.options.registry.credentialsVersion();
        this.credentialCheckFailing = false;
        if (version === this.credentialsSeen) return;
        await this.recheckCredentials();
        this.credentialsSeen = version;
      } catch (err) {
        if (!this.credentialCheckFailing) this.options.log.warn({ err }, 'could not check for token changes; retrying');
        this.credentialCheckFailing = true;
      }
    };
    const tick = () => {
      this.credentialTimer = setTimeout(
        () => void check().finally(() => !this.stopping && tick()),
        this.options.credentialCheckMs ?? 500,
      );
      this.credentialTimer.unref();
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.credentialTimer) clearTimeout(this.credentialTimer);
    for (const connection of this.connections.values()) {
      connection.close(CloseCode.masterRestarting, 'master restarting');
    }
    const server = this.server;
    if (!server) return;
    this.admission?.stop();
    if (this.listener !== server) this.listener?.close();
    const deadline = Date.now() + 2_000;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const secure = req.socket;
    this.admission?.upgraded(secure);
    if (this.stopping) return this.refuse(socket, 503, 'master is shutting down');
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const auth = token ? await this.options.registry.authenticate(token) : null;
    if (!auth) {
      // Only failures are limited: a broken agent behind a shared NAT must not lock out its
      // neighbours, whose valid tokens still get in. A blocked address gets 429 and no log line.
      if (this.limiter.isBlocked(address)) {
        return this.refuse(socket, 429, 'too many failed authentications from this address; wait a minute');
      }
      this.limiter.recordFailure(address);
      this.options.log.warn({ address }, 'agent authentication failed');
      return this.refuse(socket, 401, 'invalid, rotated or revoked token');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = new AgentConnection(auth.nodeId, auth.name, address, auth.tokenHash, ws, this.timings, {
        onHello: (c, hello) => {
          this.admission?.passedHello(secure, address);
          return this.attach(c, hello);
        },
        onMessage: (c, message) => this.options.onMessage?.(c.nodeId, message, c.tokenHash),
        onBinary: (c, data) => this.options.onBinary?.(c.nodeId, data),
        onHeard: (c) => this.options.registry.touch(c.nodeId),
        onClose: (c, code, reason) => {
          this.authenticated.delete(c);
          void this.detach(c, code, reason);
        },
      });
      this.authenticated.add(connection);
      if (auth.expiresAt !== null) {
        connection.expireAt(auth.expiresAt, CloseCode.revoked, 'token rotated; old token expired');
      }
    });
  }

  private refuse(socket: Duplex, status: 401 | 429 | 503, reason: string): void {
    const body = JSON.stringify({ error: { code: status === 401 ? 'unauthorized' : 'unavailable', message: reason } });
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 429 ? 'Too Many Requests' : 'Service Unavailable'}\r\n` +
        `${REJECT_REASON_HEADER}: ${reason}\r\ncontent-type: application/json\r\nconnection: close\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  private async attach(connection: AgentConnection, hello: HelloMessage): Promise<void> {
    if (connection.isRetired) return;
    const previous = this.connections.get(connection.nodeId);
    this.connections.set(connection.nodeId, connection);
    if (previous) previous.close(CloseCode.replaced, 'replaced by a newer connection of the same node');
    try {
      await this.options.registry.markOnline(connection.nodeId, hello, connection.remoteAddress, 'agent connected');
    } catch (error) {
      this.options.log.error({ err: error, nodeId: connection.nodeId }, 'could not record node online');
      connection.close(CloseCode.goingAway, 'master could not register the connection');
      return;
    }
    connection.send({
      type: 'welcome',
      nodeId: connection.nodeId,
      nodeName: connection.nodeName,
      heartbeatSec: this.timings.heartbeatMs / 1000,
      masterVersion: this.options.masterVersion,
      serverTime: Date.now(),
    });
    this.options.log.info({ nodeId: connection.nodeId, address: connection.remoteAddress }, 'agent connected');
    this.options.onConnected?.(connection.nodeId, hello, connection.tokenHash);
  }

  private async detach(connection: AgentConnection, code: number, reason: string): Promise<void> {
    if (this.connections.get(connection.nodeId) !== connection) return;
    this.connections.delete(connection.nodeId);
    this.options.onDisconnected?.(connection.nodeId);
    // A master shutting down is not the node going offline; the restart grace covers it.
    if (this.stopping) return;
    this.options.log.info({ nodeId: connection.nodeId, code, reason }, 'agent disconnected');
    const nodeId = connection.nodeId;
    // Retried through a database outage, unless the agent is back by then.
    await retryWithBackoff(() => this.options.registry.markOffline(nodeId, reason || `connection closed (${code})`), {
      keepTrying: () => !this.stopping && !this.connections.has(nodeId),
      onRetry: (err, attempt) => {
        if (attempt === 1) this.options.log.warn({ err, nodeId }, 'could not record node offline; retrying');
      },
    }).catch(() => undefined);
  }

  private async startRestartGrace(): Promise<void> {
    const believedOnline = await this.options.registry.onlineNodeIds({ kind: 'agent' });
    if (believedOnline.length === 0) return;
    this.graceTimer = setTimeout(() => {
      for (const nodeId of believedOnline) {
        if (this.connections.has(nodeId)) continue;
        void this.options.registry.markOfflineSinceLastSeen(nodeId, 'did not reconnect after master restart');
      }
    }, this.options.restartGraceMs ?? 45_000);
    this.graceTimer.unref();
  }
}

function closeFor(standing: Extract<TokenStanding, { valid: false }>): { code: number; reason: string } {
  switch (standing.reason) {
    case 'deleted':
      return { code: CloseCode.nodeDeleted, reason: 'node deleted on the master' };
    case 'revoked':
      return { code: CloseCode.revoked, reason: 'token revoked on the master' };
    case 'replaced':
      return { code: CloseCode.revoked, reason: 'token rotated; old token expired' };
  }
}
