// Shapes shared by the admin contract: what the API, IPC bridge and renderer exchange.
import { z } from 'zod';
import { Capabilities } from '../../agent/protocol.js';

export const NodeId = z.string().min(1).max(64);

export const LabelKey = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/-]{0,62}$/, 'label keys are 1–63 chars of a-z, 0-9, ".", "_", "/", "-"');
export const Labels = z
  .record(LabelKey, z.string().max(128))
  .refine((labels) => Object.keys(labels).length <= 32, 'at most 32 labels per node');

export const NodeName = z
  .string()
  .trim()
  .min(1, 'a node needs a name')
  .max(128, 'node names are at most 128 characters')
  // NUL, newlines and other control characters would break logs, tables, shell text and file names.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  .refine((name) => !/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name), {
    message: 'node names cannot contain control characters (NUL, tab, newline, …)',
  });

/**
 * Makes a POST that enqueues work safe to retry: the same key within 24 h answers with what the first
 * request created and creates nothing new. REST also takes it as the `Idempotency-Key` header.
 */
export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'an idempotency key is 1–255 printable ASCII characters, no spaces')
  .describe('Retrying with the same key within 24 h returns the first result and enqueues nothing new');

export const NodeStatus = z.enum(['never-connected', 'online', 'offline']);
export type NodeStatus = z.infer<typeof NodeStatus>;

export const NodeView = z.object({
  id: NodeId,
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  kind: z.enum(['agent', 'local']),
  status: NodeStatus,
  revoked: z.boolean(),
  hostname: z.string().nullable(),
  os: z.string().nullable(),
  platform: z.string().nullable(),
  arch: z.string().nullable(),
  kernel: z.string().nullable(),
  agentVersion: z.string().nullable(),
  remoteAddress: z.string().nullable(),
  connectedSince: z.number().nullable(),
  lastSeenAt: z.number().nullable(),
  capabilities: Capabilities.nullable(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type NodeView = z.infer<typeof NodeView>;

export const StatusEvent = z.object({
  nodeId: NodeId,
  status: z.enum(['online', 'offline']),
  at: z.number(),
  reason: z.string(),
  /**
   * Online again with the hello it had before (host facts, agent version, capabilities, address and
   * instance unchanged): only the status and its times moved, so a screen need not fetch the node.
   * Absent: it may have changed (or the sender is older).
   */
  sameHello: z.boolean().optional(),
});
export type StatusEvent = z.infer<typeof StatusEvent>;

export const NodeUptime = z.object({
  nodeId: NodeId,
  from: z.number(),
  to: z.number(),
  onlineMs: z.number(),
  ratio: z.number().min(0).max(1),
  events: z.array(StatusEvent),
});

export const NodeCredentials = z.object({
  node: NodeView,
  token: z.string().describe('Shown once; only its hash is stored.'),
  agentCommand: z.string().describe('Copy-paste command that starts an agent for this node.'),
  tokenOverlapUntil: z.number().nullable(),
});
export type NodeCredentials = z.infer<typeof NodeCredentials>;

export const Health = z.object({
  ok: z.boolean(),
  version: z.string(),
  instanceId: z.string(),
  database: z.object({ ok: z.boolean(), dialect: z.string(), schemaVersion: z.number(), error: z.string().optional() }),
  uptimeSec: z.number(),
  agentsConnected: z.number(),
  /** Delay of the master's event loop over the last minute: high values mean it is overloaded. */
  eventLoopLagMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }),
  /**
   * Agent TLS handshakes run a bounded number at a time (a reconnect storm must not stall the master):
   * in progress, connections waiting for a slot, and connections closed since start because the wait
   * was full or too long (those agents redial). Also connections not yet past hello: open ones that
   * have sent nothing (`silent`) or not yet authenticated (`unauthenticated`), and closed since start
   * at accept over a cap (`refused`), to make room for an address with a good history (`evicted`), or
   * by a deadline (`timedOut`). Null when the gateway runs without TLS.
   */
  tlsHandshakes: z
    .object({
      inProgress: z.number(),
      waiting: z.number(),
      shed: z.number(),
      silent: z.number(),
      unauthenticated: z.number(),
      refused: z.number(),
      evicted: z.number(),
      timedOut: z.number(),
    })
    .nullable(),
  /** Shared mode: rollup batches written locally but not yet in the database (an outage shows here). */
  metricsSpool: z.object({ batches: z.number(), oldestAt: z.number().nullable() }).nullable(),
  /**
   * Whether rollups reach the database (both modes): the oldest not yet written, and `stuck` (health
   * answers 503) when it has waited past two minutes; rows the database refused and that were set aside.
   */
  metricsWrites: z.object({
    oldestUnwrittenAt: z.number().nullable(),
    oldestAgeSec: z.number().nullable(),
    stuck: z.boolean(),
    rowsSetAside: z.number(),
  }),
});

export const MasterInfo = z.object({
  version: z.string(),
  instanceId: z.string(),
  agentUrl: z.string(),
  tls: z.boolean(),
  fingerprint: z.string().nullable().describe('sha256:… of the gateway certificate agents pin'),
  dataDir: z.string(),
  settings: z.object({
    role: z.enum(['full', 'console']),
    database: z.object({ dialect: z.enum(['sqlite', 'mariadb']), location: z.string() }),
    billingDay: z.number(),
    billingTimeZone: z.string(),
    metricsFlushSec: z.number(),
    retention: z.object({
      commandsDays: z.number(),
      minuteRollupHours: z.number(),
      hourRollupDays: z.number(),
      dailyTrafficDays: z.number(),
    }),
  }),
});

/** Accepts a boolean (IPC) or "true"/"false"/"1"/"0" (query strings). */
export const Booleanish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');

export const Empty = z.object({});
export const Ok = z.object({ ok: z.literal(true) });

export const InstanceView = z.object({
  id: z.string(),
  hostname: z.string(),
  version: z.string(),
  role: z.enum(['full', 'console']),
  agentUrl: z.string(),
  adminUrl: z.string().nullable(),
  startedAt: z.number(),
  heartbeatAt: z.number(),
  alive: z.boolean(),
  leader: z.boolean(),
  self: z.boolean(),
  lastError: z.string().nullable(),
});
