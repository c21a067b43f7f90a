// The master core: store, node registry, agent gateway and local node, wired together, plus the
// handlers for every contract operation. Plain Node; the Electron shell and the headless server
// both run exactly this.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentMessage, ENDORSEMENTS_PATH } from '../../agent/protocol.js';
import { unhandled } from '../../agent/unhandled.js';
import { VERSION } from '../../agent/version.js';
import { contract, type Handlers, type OperationName } from '../contract/contract.js';
import { FleetError } from '../contract/errors.js';
import { Access } from './access/access.js';
import { HeldCallers } from './access/held-callers.js';
import { type AdminCredential, loadAdminCredential } from './admin-token.js';
import { Alerting } from './alerts/alerting.js';
import type { EnqueueTransitions } from './alerts/state-store.js';
import { AuditLog, DEFAULT_AUDIT_RETENTION_DAYS } from './audit/audit-log.js';
import { auditHandlers } from './audit/handlers.js';
import { AuditRetention } from './audit/retention.js';
import { auditSignIns } from './audit/sign-in.js';
import { BootstrapService } from './bootstrap/bootstrap-service.js';
import { CredentialStore } from './bootstrap/credentials.js';
import { bootstrapHandlers } from './bootstrap/handlers.js';
import { BootstrapJobs } from './bootstrap/jobs.js';
import { KnownHosts } from './bootstrap/known-hosts.js';
import { importLegacyFiles } from './bootstrap/legacy-import.js';
import { TunnelManager } from './bootstrap/tunnels.js';
import { Closers } from './closers.js';
import { Cluster } from './cluster/cluster.js';
import type { LeaseTimings } from './cluster/leader-lease.js';
import { AgentArtifacts } from './enroll/artifacts.js';
import { EnrollmentCodes } from './enroll/codes.js';
import { InstallRoutes } from './enroll/gateway-routes.js';
import { enrollHandlers } from './enroll/handlers.js';
import { type InstallValues, installValues } from './enroll/install-script.js';
import { EventLoopLag } from './event-loop-lag.js';
import { EventBus } from './events.js';
import { FileCopies } from './files/copies.js';
import { CopyStore } from './files/copy-store.js';
import { DownloadTickets } from './files/download-tickets.js';
import { FileRpc } from './files/file-rpc.js';
import { fileHandlers } from './files/handlers.js';
import { MasterTransfers } from './files/transfers.js';
import type { ConnectionTimings } from './gateway/agent-connection.js';
import { GatewayCertificates } from './gateway/certificates.js';
import { AgentGateway, type GatewayOptions } from './gateway/gateway.js';
import { tlsHandlers } from './gateway/handlers.js';
import { NodeLinks } from './gateway/links.js';
import { loadOrCreateTlsIdentity, saveTlsIdentity, type TlsIdentity } from './gateway/tls.js';
import { LOCAL_NODE_ID, LocalNode } from './local/local-node.js';
import type { Logger } from './log.js';
import { metricHandlers } from './metrics/handlers.js';
import { DEFAULT_METRICS_RETENTION, type MetricsRetention, MetricsRetentionJob } from './metrics/metrics-retention.js';
import { type MetricsOptions, MetricsService } from './metrics/metrics-service.js';
import { nodeHandlers } from './nodes/handlers.js';
import { NodeRegistry } from './nodes/registry.js';
import { TokenDeliveries } from './nodes/token-delivery.js';
import { uptimeHandlers } from './nodes/uptime-handlers.js';
import { ChannelStore } from './notify/channels.js';
import { notifyHandlers } from './notify/handlers.js';
import { notifySeries } from './notify/notify-series.js';
import { DEFAULT_NOTIFY, type NotifyOptions, NotifyService } from './notify/notify-service.js';
import { enqueueTransitions } from './notify/outbox.js';
import { Accounts, type AccountsOptions } from './people/accounts.js';
import { accountHandlers } from './people/handlers.js';
import { recordSignIn } from './people/sign-in-record.js';
import { probeHandlers } from './probes/handlers.js';
import { type ProbeOptions, ProbeService } from './probes/service.js';
import { processHandlers } from './processes/handlers.js';
import { alertSeries } from './prometheus/alert-series.js';
import { PrometheusExporter } from './prometheus/exporter.js';
import { instanceSeries } from './prometheus/instance-series.js';
import { masterSeries } from './prometheus/master-series.js';
import { nodeSeries } from './prometheus/node-series.js';
import { queueHandlers } from './queue/handlers.js';
import { CommandQueue, type QueueOptions } from './queue/queue.js';
import { RetentionJob } from './queue/retention.js';
import { ClusterKey } from './secrets/cluster-key.js';
import {
  NOTIFY_CHANNEL_CONTEXT,
  OIDC_SECRET_CONTEXT,
  TLS_KEY_CONTEXT,
  TOTP_SECRET_CONTEXT,
} from './secrets/sealed-values.js';
import type { SecretBox } from './secrets/secret-box.js';
import { StatusPageService } from './status-page/service.js';
import { openStore, type Store } from './store/store.js';
import { taskHandlers } from './tasks/handlers.js';
import { TaskService } from './tasks/tasks.js';
import { terminalHandlers } from './terminal/handlers.js';
import { endStaleSessions } from './terminal/history.js';
import { TerminalRetention } from './terminal/retention.js';
import { DEFAULT_TERMINAL_OPTIONS, type TerminalOptions, TerminalSessions } from './terminal/sessions.js';
import { AgentRollouts } from './upgrade/rollout.js';

/** How long /api/health waits for the database before answering 503 with the reason. */
const HEALTH_DATABASE_DEADLINE_MS = 600;

export interface HostPort {
  host: string;
  port: number;
}

export interface MasterOptions {
  dataDir: string;
  agentListen: HostPort;
  /** Defaults to a SQLite file in the data dir. */
  dbUrl?: string;
  /** The MariaDB password (FLEETDECK_DB_PASSWORD or --db-password-file); wins over one in the URL. */
  dbPassword?: string;
  /** The cluster key file (default `<data-dir>/cluster.key`): seals saved SSH secrets in the store. */
  clusterKeyFile?: string;
  /** TLS on the agent gateway (default on); off only when explicitly asked. */
  agentTls: boolean;
  /** The URL agents are told to dial; defaults to this host's name and the gateway port. */
  publicAgentUrl?: string;
  adminToken?: string;
  timings?: Partial<ConnectionTimings>;
  /** Agent connection deadlines and caps before hello (default: `DEFAULT_TLS_ADMISSION`, caps from the descriptor limit). */
  agentAdmission?: GatewayOptions['tlsAdmission'];
  /** How often token changes made on any instance are looked for (default 500 ms). */
  credentialCheckMs?: number;
  restartGraceMs?: number;
  queue?: Partial<QueueOptions>;
  /** Finished commands and task runs older than this are deleted (default 30 days). */
  commandRetentionDays?: number;
  metrics?: Partial<MetricsOptions>;
  metricsRetention?: Partial<MetricsRetention>;
  /** `console`: a read-only viewer that refuses every change (shared mode). */
  role?: 'full' | 'console';
  lease?: Partial<LeaseTimings>;
  /**
   * Shared mode: how commands queued here reach agents on other instances — the fallback poll
   * (100 ms) and wake-ups (on, watched every 10 ms). Benchmarks turn wake-ups off to compare.
   */
  crossInstance?: { pollMs?: number; wakeups?: boolean; wakeupWatchMs?: number };
  /** The agent bundle uploaded over SSH (default: the one built next to the master). */
  agentBundlePath?: string;
  /** How long a bootstrapped agent gets to connect (default 60 s). */
  bootstrapOnlineTimeoutMs?: number;
  /**
   * Opens the secrets an older FleetDeck sealed in the data dir, to import them into the store
   * (default: `<data-dir>/secret.key`; the desktop passes safeStorage, which sealed them there).
   */
  legacySecretBox?: SecretBox;
  /** Notification delivery timings (retry backoff, tick, retention). */
  notify?: Partial<NotifyOptions>;
  /** The admin UI's URL as people open it, for links in notifications (default: the admin server's URL). */
  publicUiUrl?: string;
  /** Where alert transitions are handed to delivery, in their state change's transaction (tests pass a recorder). */
  enqueueTransitions?: EnqueueTransitions;
  /** Terminal sessions: grace period, limits, recording cap, and how long recordings are kept (default 90 days). */
  terminal?: Partial<TerminalOptions> & { retentionDays?: number };
  /** Probe timings (flush, evaluation, config check) and rollup retention. */
  probes?: Partial<ProbeOptions>;
  /** The public status page: how often it is rebuilt (default 30 s), and its own listener's address to show. */
  statusPage?: { refreshMs?: number; listen?: string | null };
  /** Audit log entries older than this are pruned by the leader (default 400 days). */
  auditRetentionDays?: number;
  /** Accounts: password hashing cost, sign-in throttle, session timeouts (core/people/). */
  accounts?: Pick<AccountsOptions, 'hashCost' | 'throttle' | 'sessions' | 'delay'>;
  log: Logger;
}

/**
 * Everything `Master.start` wires together, named once: `Master` has each as a readonly field
 * (the interface below merges them into the class; the constructor assigns them).
 */
interface MasterParts {
  instanceId: string;
  /** Who did what (core/audit/): every operation through `handlers()`, sign-ins, file streams. */
  audit: AuditLog;
  store: Store;
  bus: EventBus;
  registry: NodeRegistry;
  gateway: AgentGateway;
  queue: CommandQueue;
  tasks: TaskService;
  /** Rotated tokens on their way to connected agents. */
  tokens: TokenDeliveries;
  local: LocalNode | null;
  cluster: Cluster;
  knownHosts: KnownHosts;
  tunnels: TunnelManager;
  credentials: CredentialStore;
  clusterKey: ClusterKey;
  bootstrapJobs: BootstrapJobs;
  retention: RetentionJob;
  fileRpc: FileRpc;
  transfers: MasterTransfers;
  /** Single-use links for browser downloads (files/download-tickets.ts). */
  downloadTickets: DownloadTickets;
  copies: FileCopies;
  /** Terminal sessions held by this instance (terminal/). */
  terminals: TerminalSessions;
  metrics: MetricsService;
  metricsRetention: MetricsRetentionJob;
  notify: NotifyService;
  /** Alert rules, their evaluation and state (core/alerts/). */
  alerting: Alerting;
  /** Probes: definitions, vantage points' sets and results, the quorum verdict (core/probes/). */
  probes: ProbeService;
  lag: EventLoopLag;
  /** GET /metrics: every part's series (prometheus/). */
  prometheusExporter: PrometheusExporter;
  tls: TlsIdentity | null;
  /** The gateway's certificates in the store and their rotation (null without TLS). */
  certificates: GatewayCertificates | null;
  admin: AdminCredential;
  /** People: accounts, roles, sessions, second factors (core/people/). */
  accounts: Accounts;
  gatewayPort: number;
  /** One-line installs: codes, and the agent files the gateway serves. */
  enrollment: EnrollmentCodes;
  artifacts: AgentArtifacts;
  /** In-band agent upgrades, staged. */
  rollouts: AgentRollouts;
  /** Roles scoped by labels, API tokens (access/). */
  access: Access;
  /** The callers of open event streams and terminal sockets, cut off when their credential ends. */
  held: HeldCallers;
  /** The public status page: settings and the build served from memory (status-page/). */
  statusPage: StatusPageService;
}

export interface Master extends Readonly<MasterParts> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above only names the parts the constructor assigns.
export class Master {
  readonly startedAt = Date.now();
  private readonly flushTimer: NodeJS.Timeout;

  private constructor(
    readonly options: MasterOptions,
    parts: MasterParts,
  ) {
    Object.assign(this, parts);
    this.flushTimer = setInterval(() => {
      this.registry.flushLastSeen().catch((err) => options.log.warn({ err }, 'could not persist last-seen times'));
    }, 15_000);
    this.flushTimer.unref();
  }

  /** Starts every part; if a step fails, what the earlier steps opened is closed before the error. */
  static async start(options: MasterOptions): Promise<Master> {
    const closers = new Closers(options.log);
    try {
      return await Master.assemble(options, closers);
    } catch (error) {
      await closers.closeAll();
      throw error;
    }
  }

  private static async assemble(options: MasterOptions, closers: Closers): Promise<Master> {
    const { log } = options;
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const store = await openStore(options.dbUrl ?? join(options.dataDir, 'fleetdeck.db'), {
      password: options.dbPassword,
    });
    closers.add('the store', () => store.close());
    const admin = loadAdminCredential(options.dataDir, options.adminToken);
    const tls = options.agentTls ? await loadOrCreateTlsIdentity(options.dataDir, os.hostname()) : null;
    const bus = new EventBus();
    const instanceId = instanceIdFor(options.dataDir);
    // Several masters on one MariaDB database work as one; SQLite is one master's own.
    const shared = store.dialect === 'mariadb';
    const registry = new NodeRegistry(store.db, bus, Date.now, instanceId);
    // Every part reaches nodes through this router; the gateway and local node are attached below.
    const links = new NodeLinks();
    const queue = new CommandQueue(store.db, links, bus, log, {
      ...options.queue,
      instanceId: shared ? instanceId : null,
    });
    const auditRetentionDays = options.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    const audit = new AuditLog(store.db, store.dialect, instanceId, log, { retentionDays: auditRetentionDays });
    // An enqueue of an audited operation writes its entry in the commit that stores the commands.
    queue.audit = { dialect: store.dialect, instanceId };
    const fileRpc = new FileRpc(links);
    const tokens = new TokenDeliveries(links, log);
    const transfers = new MasterTransfers(links, bus);
    const copies = new FileCopies(fileRpc, transfers, bus, new CopyStore(store.db, instanceId), (message, error) =>
      log.warn({ err: error }, message),
    );
    await copies.restore();
    const terminals = new TerminalSessions(store.db, links, bus, instanceId, log, {
      ...DEFAULT_TERMINAL_OPTIONS,
      ...options.terminal,
    });
    if ((options.role ?? 'full') === 'full') await endStaleSessions(store.db, instanceId);
    const metrics = new MetricsService(store.db, store.dialect, bus, log, {
      ...options.metrics,
      spool: shared ? { file: join(options.dataDir, 'metrics-spool.jsonl'), instanceId } : null,
    });
    bus.subscribe((message) => {
      if (message.event === 'nodeDeleted') metrics.forget(message.data.nodeId);
    });
    /** `tokenHash`: the token the agent's connection used (null: the built-in local node). */
    const onAgentMessage = (nodeId: string, message: AgentMessage, tokenHash: string | null = null) => {
      routeAgentMessage(
        { queue, fileRpc, transfers, metrics, tokens, certificates: () => certificates, terminals, rollouts, probes },
        nodeId,
        message,
        tokenHash,
      ).catch((err) => log.error({ err, nodeId }, 'agent message failed'));
    };
    // The built-in local node is one master's own machine; in shared mode each host runs an agent.
    const local = shared
      ? null
      : new LocalNode(
          options.dataDir,
          (message) => onAgentMessage(LOCAL_NODE_ID, message),
          (data) => transfers.onBinary(LOCAL_NODE_ID, data),
          log,
        );
    const enrollment = new EnrollmentCodes(store.db, registry);
    const artifacts = AgentArtifacts.forBundle(options.agentBundlePath ?? defaultAgentBundle());
    let installRoutes: InstallRoutes | null = null;
    /** Set once the cluster key is loaded (it seals the gateway keys in the store). */
    let certificates: GatewayCertificates | null = null;
    const rollouts = new AgentRollouts(registry, links, artifacts, bus, log, store.db, instanceId);
    if ((options.role ?? 'full') === 'full') await rollouts.recover();
    closers.add('the agent rollouts', () => rollouts.stop());
    const gateway = new AgentGateway({
      host: options.agentListen.host,
      port: options.agentListen.port,
      tls,
      registry,
      log,
      masterVersion: VERSION,
      timings: options.timings,
      tlsAdmission: options.agentAdmission,
      credentialCheckMs: options.credentialCheckMs,
      restartGraceMs: options.restartGraceMs,
      onMessage: onAgentMessage,
      // Terminal ids start with `t`, transfer ids with a hex digit (agent/protocol.ts).
      onBinary: (nodeId, data) =>
        data[0] === TERMINAL_FRAME_MARK ? terminals.onBinary(nodeId, data) : transfers.onBinary(nodeId, data),
      onRequest: (req, res) => {
        if (req.url === ENDORSEMENTS_PATH && req.method === 'GET') return serveEndorsements(certificates, res, log);
        if (installRoutes) return installRoutes.handle(req, res);
        res.writeHead(503, { connection: 'close' }).end();
      },
      onDisconnected: (nodeId) => {
        certificates?.onDisconnected(nodeId);
        queue.nodeDisconnected(nodeId);
        alerting.engine.nodeReleased(nodeId);
        fileRpc.nodeGone(nodeId);
        transfers.nodeGone(nodeId);
        terminals.nodeGone(nodeId);
        probes.nodeDisconnected(nodeId);
        if (shared) void metrics.release(nodeId);
      },
      onConnected: (nodeId, hello, tokenHash) => {
        tokens.onConnected(nodeId, tokenHash);
        void certificates?.onHello(nodeId, hello.pins);
        queue.nodeConnected(nodeId, hello.running).catch((err) => log.error({ err, nodeId }, 'redelivery failed'));
        if (shared) void metrics.adopt(nodeId);
        probes.nodeConnected(nodeId, hello.capabilities);
        alerting.engine.nodeConnected(nodeId).catch((err) => log.warn({ err, nodeId }, 'could not load alerts'));
      },
    });
    links.attach(gateway, local);
    // Before the parts whose secrets it seals: probes' header values, SSH state, accounts, TLS keys.
    const clusterKey = await Master.clusterKey(options, store);
    closers.add('the cluster key watch', () => clusterKey.stop());
    const probes = new ProbeService({
      db: store.db,
      dialect: store.dialect,
      bus,
      log,
      nodes: registry,
      send: (nodeId, message) => links.send(nodeId, message),
      calendar: metrics.calendar,
      key: clusterKey,
      sealStoredHeaders: (options.role ?? 'full') === 'full',
      options: options.probes,
    });
    closers.add('probes', () => probes.stop());
    await probes.start();
    const tasks = new TaskService(store.db, queue, registry, bus, log);
    const alerting = new Alerting({
      db: store.db,
      dialect: store.dialect,
      bus,
      log,
      registry,
      tasks,
      masterVersion: VERSION,
      billing: { calendar: metrics.calendar, billingDay: metrics.options.billingDay },
      shared,
      enqueueTransitions: options.enqueueTransitions ?? enqueueTransitions,
      probes: () => probes.views(),
      probeMinutes: (id, from, to) => probes.rollups.series(id, 'minute', from, to),
    });
    metrics.onSnapshot = (nodeId, snapshot) => alerting.engine.observe(nodeId, snapshot);
    closers.add('alerting', () => alerting.stop());
    await alerting.start();
    // Roles and label scopes: every handler goes through its authorizer (handlers() below).
    const access = new Access({ db: store.db, nodes: registry, bus, log, terminals, transfers, copies });
    closers.add('access', () => access.stop());
    await access.start();
    registry.addPendingWorkCounter((nodeId) => queue.activeCount(nodeId));
    registry.addPendingWorkCounter((nodeId) => tasks.tasksTargeting(nodeId));
    closers.add('metrics', () => metrics.stop());
    await metrics.start();
    closers.add('the agent gateway', () => gateway.stop());
    const { port } = await gateway.start();
    installRoutes = new InstallRoutes({
      codes: enrollment,
      artifacts,
      values: () => installValues(agentUrlOf(options, tls !== null, port), certificates?.identity ?? tls, artifacts),
      limiter: gateway.failures,
      log,
      readOnly: options.role === 'console',
    });
    if (local) {
      closers.add('the local node', () => local.stop(registry));
      await local.start(registry);
      await queue.nodeConnected(LOCAL_NODE_ID, []);
      probes.nodeConnected(LOCAL_NODE_ID, local.hello().capabilities);
    }
    closers.add('the queue', () => queue.stop());
    queue.start();
    const retention = new RetentionJob(store.db, (options.commandRetentionDays ?? 30) * 86_400_000, log);
    const metricsRetention = new MetricsRetentionJob(
      store.db,
      { ...DEFAULT_METRICS_RETENTION, ...options.metricsRetention },
      metrics.calendar,
      log,
    );
    const cluster = new Cluster(
      store.db,
      store.dialect,
      bus,
      registry,
      {
        shared,
        self: {
          id: instanceId,
          role: options.role ?? 'full',
          agentUrl: agentUrlOf(options, tls !== null, port),
          adminUrl: null,
        },
        lease: options.lease,
        // Commands queued on other instances for agents connected here are dispatched by this one.
        pendingCommands: { queue, ...options.crossInstance },
      },
      log,
    );
    // Shared mode: every instance's probe results reach the leader's quorum (probes/service.ts).
    if (cluster.peers) probes.shareResults(cluster.peers);
    const wakeups = cluster.wakeups;
    if (wakeups) queue.onPendingElsewhere((nodeIds) => wakeups.wake(nodeIds));
    queue.setLeader(false);
    cluster.addSingleton({
      name: 'queue expiry',
      start: () => queue.setLeader(true),
      stop: () => queue.setLeader(false),
    });
    cluster.addSingleton({
      name: 'alert evaluation',
      start: () => alerting.engine.setLeader(true),
      stop: () => alerting.engine.setLeader(false),
    });
    cluster.addSingleton({
      name: 'probe evaluation',
      start: () => probes.setLeader(true),
      stop: () => probes.setLeader(false),
    });
    cluster.addSingleton({ name: 'schedules', start: () => tasks.startScheduler(), stop: () => tasks.stopScheduler() });
    cluster.addSingleton({ name: 'command retention', start: () => retention.start(), stop: () => retention.stop() });
    const terminalRetention = new TerminalRetention(
      store.db,
      (options.terminal?.retentionDays ?? 90) * 86_400_000,
      log,
    );
    cluster.addSingleton({
      name: 'terminal retention',
      start: () => terminalRetention.start(),
      stop: () => terminalRetention.stop(),
    });
    const auditRetention = new AuditRetention(store.db, store.dialect, auditRetentionDays * 86_400_000, log);
    cluster.addSingleton({
      name: 'audit retention',
      start: () => auditRetention.start(),
      stop: () => auditRetention.stop(),
    });
    cluster.addSingleton({
      name: 'metrics retention',
      start: () => metricsRetention.start(),
      stop: () => metricsRetention.stop(),
    });
    const ssh = await Master.sshState(options, store, clusterKey, instanceId, port, cluster);
    const accounts = Master.accounts(options, store, ssh.clusterKey, cluster);
    // Every sign-in attempt, success or failure, is an audit entry (and the log line it was before).
    accounts.setSignInRecorder(auditSignIns(audit, recordSignIn(log)));
    // A user's API tokens work only while the user exists, is enabled and still has the token's role.
    access.tokens.userGrants = async (userId) => {
      const user = await accounts.users.byId(userId);
      return user && user.disabled_at === null ? accounts.users.grants(userId) : null;
    };
    const held = new HeldCallers(
      {
        liveSessions: (ids) => accounts.sessions.live(ids),
        liveTokens: (ids) => access.tokens.live(ids),
      },
      log,
    );
    accounts.sessions.onEnded = () => held.nudge();
    accounts.users.onChanged = () => held.nudge();
    access.tokens.onRevoked = () => held.nudge();
    closers.add('the held callers', () => held.stop());
    if (tls) {
      const box = ssh.clusterKey.secretBox(TLS_KEY_CONTEXT);
      certificates = new GatewayCertificates(
        {
          db: store.db,
          box: () => (ssh.clusterKey.ready ? box : null),
          serve: (identity) => {
            gateway.setIdentity(identity);
            saveTlsIdentity(options.dataDir, identity);
          },
          send: (nodeId, message) => links.send(nodeId, message),
          connectedNodes: () => gateway.connectedNodeIds(),
          isLeader: () => cluster.isLeader,
          hostname: os.hostname(),
          log,
        },
        tls,
      );
      const started = certificates;
      closers.add('the gateway certificates', () => started.stop());
      await started.start();
    }
    const notify = new NotifyService(
      store.db,
      new ChannelStore(store.db, ssh.clusterKey.secretBox(NOTIFY_CHANNEL_CONTEXT)),
      bus,
      instanceId,
      () => alertsLink(options.publicUiUrl ?? cluster.instances.adminUrl),
      log,
      { ...DEFAULT_NOTIFY, ...options.notify },
    );
    cluster.addSingleton({ name: 'notifications', start: () => notify.start(), stop: () => notify.stop() });
    closers.add('the cluster', () => cluster.stop());
    await cluster.start();
    const prometheusExporter = new PrometheusExporter()
      .add(
        instanceSeries({
          instanceId,
          hostname: os.hostname(),
          role: options.role ?? 'full',
          dialect: store.dialect,
          version: VERSION,
          isLeader: () => cluster.isLeader,
        }),
      )
      .add(
        masterSeries({
          agentsConnected: () => gateway.connectedCount,
          tlsHandshakes: () => gateway.handshakes,
          queueActive: () => queue.totalActive(),
          metrics,
        }),
      )
      .add(
        nodeSeries({
          nodes: () => registry.list(),
          holds: (nodeId) => links.isConnected(nodeId),
          isLeader: () => cluster.isLeader,
          metrics,
        }),
      )
      .add(notifySeries(notify))
      .add(alertSeries(store.db));
    const statusPage = new StatusPageService({
      db: store.db,
      calendar: metrics.calendar,
      log,
      refreshMs: options.statusPage?.refreshMs,
      listen: options.statusPage?.listen ?? null,
    });
    closers.add('the status page', () => statusPage.stop());
    statusPage.start();
    const parts = {
      instanceId,
      audit,
      store,
      bus,
      registry,
      gateway,
      queue,
      tasks,
      tokens,
      local,
      cluster,
      ...ssh,
      retention,
      fileRpc,
      transfers,
      downloadTickets: new DownloadTickets(),
      copies,
      terminals,
      metrics,
      metricsRetention,
      notify,
      alerting,
      probes,
      lag: new EventLoopLag(),
      prometheusExporter,
      tls,
      certificates,
      admin,
      accounts,
      gatewayPort: port,
      enrollment,
      artifacts,
      rollouts,
      access,
      held,
      statusPage,
    };
    return new Master(options, parts);
  }

  /** Accounts, their TOTP secrets sealed with the cluster key; the leader deletes expired sessions hourly. */
  private static accounts(options: MasterOptions, store: Store, clusterKey: ClusterKey, cluster: Cluster): Accounts {
    const totpBox = clusterKey.secretBox(TOTP_SECRET_CONTEXT);
    const oidcBox = clusterKey.secretBox(OIDC_SECRET_CONTEXT);
    const accounts = new Accounts({
      db: store.db,
      dialect: store.dialect,
      log: options.log,
      totpBox: () => (clusterKey.ready ? totpBox : null),
      oidcBox: () => (clusterKey.ready ? oidcBox : null),
      ...options.accounts,
    });
    let timer: NodeJS.Timeout | null = null;
    cluster.addSingleton({
      name: 'session pruning',
      start: () => {
        timer = setInterval(() => {
          accounts.sessions.prune().catch((err) => options.log.warn({ err }, 'could not prune expired sessions'));
        }, 3_600_000);
        timer.unref();
      },
      stop: () => {
        if (timer) clearInterval(timer);
        timer = null;
      },
    });
    return accounts;
  }

  /** The cluster key (secrets/cluster-key.ts): a full instance may create it; watched for rotations. */
  private static async clusterKey(options: MasterOptions, store: Store): Promise<ClusterKey> {
    const clusterKey = await ClusterKey.load({
      db: store.db,
      dialect: store.dialect,
      file: options.clusterKeyFile ?? join(options.dataDir, 'cluster.key'),
      mayCreate: (options.role ?? 'full') === 'full',
      log: options.log,
    });
    clusterKey.start();
    return clusterKey;
  }

  /**
   * What SSH bootstrap keeps in the store: known hosts, saved credentials, tunnels (kept open by the
   * holder of the `tunnels` lease), jobs, with the secrets sealed by the cluster key; files an older
   * FleetDeck left in the data dir are imported first.
   */
  private static async sshState(
    options: MasterOptions,
    store: Store,
    clusterKey: ClusterKey,
    instanceId: string,
    gatewayPort: number,
    cluster: Cluster,
  ) {
    const { log } = options;
    const full = (options.role ?? 'full') === 'full';
    const knownHosts = new KnownHosts(store.db, [join(os.homedir(), '.ssh', 'known_hosts')]);
    const credentials = new CredentialStore(store.db, clusterKey);
    const tunnels = new TunnelManager(store.db, clusterKey, knownHosts, () => gatewayPort, instanceId, log);
    const bootstrapJobs = new BootstrapJobs(store.db, instanceId, log);
    if (full) {
      await importLegacyFiles({
        dataDir: options.dataDir,
        knownHosts,
        credentials,
        tunnels,
        clusterKey,
        legacySecretBox: options.legacySecretBox,
        log,
      });
      // Jobs this instance ran before it restarted are over.
      await bootstrapJobs.interrupt([instanceId]);
    }
    cluster.addLeased({
      name: 'tunnels',
      eligible: () => clusterKey.ready,
      start: () => tunnels.startKeeping(),
      stop: () => tunnels.stopKeeping(),
    });
    cluster.onDeadInstances((ids) => bootstrapJobs.interrupt(ids));
    return { knownHosts, credentials, tunnels, clusterKey, bootstrapJobs };
  }

  get agentUrl(): string {
    return agentUrlOf(this.options, this.tls !== null, this.gatewayPort);
  }

  get agentPort(): number {
    return this.gatewayPort;
  }

  /** What agents should pin now: the served certificate, and during a rotation the next or previous. */
  get pins(): string[] {
    return this.certificates?.currentPins ?? (this.tls ? [this.tls.fingerprint] : []);
  }

  /** The certificate the gateway serves now (it changes with a rotation). */
  get fingerprint(): string | null {
    return this.certificates?.identity.fingerprint ?? this.tls?.fingerprint ?? null;
  }

  /** The command an admin pastes on a host to start its agent. */
  agentCommand(token: string): string {
    const parts = ['node fleetdeck-agent.cjs', `--master ${this.agentUrl}`, `--token ${token}`];
    if (this.tls) parts.push(`--ca-fingerprint ${this.pins.join(',')}`);
    else parts.push('--insecure-plain-ws');
    return parts.join(' ');
  }

  /** Graceful stop: no new agents, close live ones with "master restarting", flush, close the store. */
  async stop(): Promise<void> {
    clearInterval(this.flushTimer);
    this.clusterKey.stop();
    await this.cluster.stop();
    await this.bootstrapJobs.flushed();
    // Jobs still running here end with this process: recorded so, rather than left running.
    await this.bootstrapJobs.interrupt([this.instanceId]).catch(() => undefined);
    await this.alerting.stop();
    this.access.stop();
    this.held.stop();
    this.statusPage.stop();
    this.lag.stop();
    await this.terminals.stop();
    await this.gateway.stop();
    await this.local?.stop(this.registry).catch(() => undefined);
    await this.queue.stop();
    await this.metrics.stop().catch((err) => this.options.log.error({ err }, 'could not flush metrics at shutdown'));
    await this.registry.flushLastSeen().catch(() => undefined);
    await this.rollouts
      .stop()
      .catch((err) => this.options.log.error({ err }, 'could not save agent rollouts at shutdown'));
    await this.store.close();
  }

  /** Every operation's handler behind its access rule (contract/access-rules.ts): the one place it is enforced. */
  handlers(): Handlers {
    // Outermost: refused calls are recorded too.
    return this.audit.wrap(this.access.authorizer.guard(this.unguardedHandlers()));
  }

  /** The handlers without the access check: for in-process callers that are the master itself (benchmarks, tests). */
  unguardedHandlers(): Handlers {
    const handlers = this.allHandlers();
    if (this.options.role !== 'console') return handlers;
    // A console instance answers reads and refuses every change, clearly.
    for (const name of Object.keys(handlers) as OperationName[]) {
      if (contract[name].method === 'GET' || contract[name].reads) continue;
      (handlers as Record<string, unknown>)[name] = async () => {
        throw new FleetError(
          'forbidden',
          'This FleetDeck instance is a read-only console (--role console): make changes on a full instance.',
        );
      };
    }
    return handlers;
  }

  private allHandlers(): Handlers {
    const registry = this.registry;
    return {
      health: async () => {
        // Answers within a second even when the database does not (the ping is raced, never piled up).
        const probe = await this.store.probe(HEALTH_DATABASE_DEADLINE_MS);
        const database = {
          ok: probe.ok,
          dialect: this.store.dialect,
          schemaVersion: this.store.migration.to,
          ...(probe.ok ? {} : { error: probe.error }),
        };
        // Rollups that stopped reaching the database are as unhealthy as the database itself.
        const metricsWrites = this.metrics.writeHealth();
        return {
          ok: database.ok && !metricsWrites.stuck,
          version: VERSION,
          instanceId: this.instanceId,
          database,
          uptimeSec: Math.round((Date.now() - this.startedAt) / 1000),
          agentsConnected: this.gateway.connectedCount,
          eventLoopLagMs: this.lag.figures,
          tlsHandshakes: this.gateway.handshakes,
          metricsSpool: this.metrics.spoolBacklog,
          metricsWrites,
        };
      },
      masterInfo: async () => ({
        version: VERSION,
        instanceId: this.instanceId,
        agentUrl: this.agentUrl,
        tls: this.tls !== null,
        fingerprint: this.fingerprint,
        dataDir: this.options.dataDir,
        settings: this.settings(),
      }),
      ...tlsHandlers(this.certificates),
      listInstances: async () => this.cluster.instances.list(await this.cluster.leaderId()),
      ...nodeHandlers({
        registry,
        tokens: this.tokens,
        recheckCredentials: (ids, spare) => this.gateway.recheckCredentials(ids, spare),
        agentCommand: (token) => this.agentCommand(token),
        revoke: (id) => this.revokeNode(id),
      }),
      ...queueHandlers(this.queue, registry, this.store.db),
      ...taskHandlers(this.tasks, this.store.db),
      ...fileHandlers({
        rpc: this.fileRpc,
        transfers: this.transfers,
        tickets: this.downloadTickets,
        copies: this.copies,
      }),
      ...processHandlers(this.fileRpc, registry),
      ...uptimeHandlers(this.store.db, registry, this.metrics.calendar),
      ...metricHandlers(this.store.db, this.metrics, registry, this.minuteRetentionMs),
      ...bootstrapHandlers(this.bootstrap, this.knownHosts, this.credentials, this.tunnels),
      ...enrollHandlers(this.enrollment, () => this.installValues()),
      startAgentRollout: (input) => this.rollouts.start(input),
      listAgentRollouts: () => this.rollouts.list(),
      getAgentRollout: ({ id }) => this.rollouts.get(id),
      ...notifyHandlers(this.notify),
      ...this.alerting.handlers(),
      ...terminalHandlers(this.terminals, registry, this.store.db),
      ...this.access.handlers(),
      ...probeHandlers(this.probes),
      getStatusPage: (_input, caller) => this.statusPage.view(caller),
      updateStatusPage: (input, caller) => this.statusPage.update(input, caller),
      ...auditHandlers(this.audit),
      ...accountHandlers(this.accounts),
    };
  }

  /** What GET /install.sh fills in, and the install lines are made of. */
  installValues(): Promise<InstallValues> {
    return installValues(this.agentUrl, this.tls, this.artifacts);
  }

  /** Revoked: its connection closes now, everywhere; its unfinished commands end cancelled. */
  private async revokeNode(id: string) {
    const node = await this.registry.revoke(id);
    this.terminals.nodeGone(id, 'revoked');
    await this.gateway.recheckCredentials([id]);
    await this.queue.cancelNodeCommands(id, 'node revoked');
    return node;
  }

  private bootstrapService: BootstrapService | null = null;

  get bootstrap(): BootstrapService {
    if (this.bootstrapService) return this.bootstrapService;
    const bundlePath = this.options.agentBundlePath ?? defaultAgentBundle();
    this.bootstrapService = new BootstrapService({
      registry: this.registry,
      revoke: async (nodeId) => void (await this.revokeNode(nodeId)),
      bus: this.bus,
      knownHosts: this.knownHosts,
      tunnels: this.tunnels,
      jobs: this.bootstrapJobs,
      agentUrl: () => this.agentUrl,
      pins: () => this.pins,
      bundlePath,
      executables: () => standaloneAgents(dirname(bundlePath)),
      log: this.options.log,
      onlineTimeoutMs: this.options.bootstrapOnlineTimeoutMs,
    });
    return this.bootstrapService;
  }

  private settings() {
    const keep = { ...DEFAULT_METRICS_RETENTION, ...this.options.metricsRetention };
    const m = this.metrics.options;
    return {
      role: this.options.role ?? 'full',
      database: { dialect: this.store.dialect, location: this.store.location },
      billingDay: m.billingDay,
      billingTimeZone: m.billingTimeZone,
      metricsFlushSec: m.flushIntervalMs / 1000,
      retention: {
        commandsDays: this.options.commandRetentionDays ?? 30,
        minuteRollupHours: keep.minutesMs / 3_600_000,
        hourRollupDays: keep.hoursMs / 86_400_000,
        dailyTrafficDays: keep.daysMs / 86_400_000,
      },
    };
  }

  private get minuteRetentionMs(): number {
    return this.options.metricsRetention?.minutesMs ?? DEFAULT_METRICS_RETENTION.minutesMs;
  }

  /** The Prometheus exposition served at GET /metrics (text format 0.0.4). */
  prometheus(): Promise<string> {
    return this.prometheusExporter.scrape();
  }
}

/** GET ENDORSEMENTS_PATH on the gateway: public, no token (agent/endorsement.ts checks it). */
function serveEndorsements(certificates: GatewayCertificates | null, res: ServerResponse, log: Logger): void {
  if (!certificates) {
    res.writeHead(404, { connection: 'close' }).end();
    return;
  }
  certificates.endorsements().then(
    (chain) => {
      res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(chain));
    },
    (err: unknown) => {
      log.warn({ err }, 'could not serve the certificate endorsement chain');
      res.writeHead(503, { connection: 'close' }).end();
    },
  );
}

interface Routes {
  queue: CommandQueue;
  fileRpc: FileRpc;
  transfers: MasterTransfers;
  metrics: MetricsService;
  tokens: TokenDeliveries;
  /** The gateway's certificates (null until the cluster key is loaded, or without TLS). */
  certificates: () => GatewayCertificates | null;
  terminals: TerminalSessions;
  rollouts: AgentRollouts;
  probes: ProbeService;
}

/**
 * Exhaustive: a new agent message type fails to compile until it has a case. Every frame that names
 * an id goes to the owner of that id, which acts on it only if it belongs to `nodeId` (the sender):
 * an agent speaks only for itself.
 */
async function routeAgentMessage(
  { queue, fileRpc, transfers, metrics, tokens, certificates, terminals, rollouts, probes }: Routes,
  nodeId: string,
  message: AgentMessage,
  tokenHash: string | null,
) {
  switch (message.type) {
    case 'hello':
      // The gateway takes the first hello and refuses another; the local node says it at start.
      return;
    case 'metrics':
      return metrics.ingest(nodeId, message);
    case 'started':
      return queue.started(nodeId, message.id, message.at);
    case 'output':
      return queue.output(nodeId, message.id, message.stream, message.data);
    case 'result':
      return queue.result(nodeId, message.result, tokenHash);
    case 'rpc-result':
      return fileRpc.onResult(nodeId, message);
    case 'token-ack':
      return tokens.onAck(nodeId, message);
    case 'pins-ack':
      return certificates()?.onAck(nodeId, message);
    case 'terminal-opened':
      return terminals.onOpened(nodeId, message.id, message.shell);
    case 'terminal-closed':
      return terminals.onClosed(nodeId, message);
    case 'upgrade-status':
      return rollouts.onStatus(nodeId, message);
    case 'probe-results':
      return probes.ingest(nodeId, message.results);
    case 'transfer-meta':
    case 'transfer-end':
    case 'transfer-ready':
    case 'transfer-ack':
    case 'transfer-done':
    case 'transfer-error':
      return transfers.onReply(nodeId, message.id, message);
    default:
      return unhandled(message, 'master');
  }
}

/** The first byte of a terminal's binary frame: its id's `t`. */
const TERMINAL_FRAME_MARK = 't'.charCodeAt(0);

/** The single-file agent built next to the master (out/agent), from source or from the build. */
function defaultAgentBundle(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Packaged desktop app: electron-builder puts it in the resources directory.
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    ...(resources ? [join(resources, 'agent/fleetdeck-agent.cjs')] : []),
    join(here, '../agent/fleetdeck-agent.cjs'),
    join(here, '../../out/agent/fleetdeck-agent.cjs'),
    join(here, '../../../out/agent/fleetdeck-agent.cjs'),
  ];
  return candidates.find((p) => existsSync(p)) ?? (candidates[0] as string);
}

/** Standalone agent executables built next to the bundle (scripts/build-sea.mjs). */
function standaloneAgents(dir: string): Partial<Record<'x64' | 'arm64', string>> {
  const found: Partial<Record<'x64' | 'arm64', string>> = {};
  for (const arch of ['x64', 'arm64'] as const) {
    const path = join(dir, `fleetdeck-agent-linux-${arch}`);
    if (existsSync(path)) found[arch] = path;
  }
  return found;
}

function agentUrlOf(options: MasterOptions, tls: boolean, port: number): string {
  if (options.publicAgentUrl) return options.publicAgentUrl;
  const scheme = tls ? 'wss' : 'ws';
  const host = ['0.0.0.0', '::'].includes(options.agentListen.host) ? os.hostname() : options.agentListen.host;
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The Alerts screen under the admin UI's URL (null when no URL is known). */
function alertsLink(base: string | null): string | null {
  if (!base) return null;
  try {
    return new URL('#alerts', base).href;
  } catch {
    return null;
  }
}

function instanceIdFor(dataDir: string): string {
  const file = join(dataDir, 'instance-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(file, `${id}\n`);
  return id;
}

export { LOCAL_NODE_ID };
