// The agent ⇄ master wire protocol. Both sides import this module; every frame is
// validated against these schemas before it is acted on.
import { z } from 'zod';
import { MAX_PROBES_PER_AGENT, MAX_RESULTS_PER_FRAME, ProbeAssignment, ProbeResult } from './probes/spec.js';

export const PROTOCOL_VERSION = 1;

/**
 * Frames larger than this are refused by the socket itself (ws maxPayload). Control messages are
 * bounded far below 1 MiB by their schemas; only a result frame carries the stored output (capped at
 * MAX_OUTPUT_LIMIT), and the agent truncates further if escaping would push it past this ceiling.
 */
export const MAX_CONTROL_FRAME_BYTES = 4 * 1024 * 1024;
export const MAX_OUTPUT_LIMIT = 1536 * 1024;
export const DEFAULT_OUTPUT_LIMIT = 1024 * 1024;
/**
 * stdin of a command, in characters: it must fit an admin request body (1 MiB) beside the command, and
 * its escaped JSON (≤ 6 bytes a character) must fit a command frame.
 */
export const MAX_STDIN_CHARS = 512 * 1024;

// Bounds of what a host can physically report. A value past them is a broken or hostile agent, and the
// frame is refused before anything is computed from it (a 1e308 load once jammed the rollup writes).
/** Wall-clock times (ms): not before 1970 and with a four-digit year (Date, BIGINT and YYYY-MM-DD hold it). */
export const MAX_WIRE_TIME_MS = Date.UTC(9999, 11, 31);
/** Uptime: a hundred years. */
export const MAX_UPTIME_SEC = 100 * 365.25 * 86_400;
/** Linux's PID_MAX_LIMIT: no host has more processes, and a load average counts runnable ones. */
export const MAX_TASKS = 4_194_304;
/** The kernel's link speed field is a u32 of Mbit/s; the master trusts only plausible speeds (accounting.ts). */
export const MAX_SPEED_MBPS = 4_294_967_295;
/** Exit codes fit a signed 32-bit integer (what the database column holds). */
const ExitCode = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
const WireTime = z.number().int().min(0).max(MAX_WIRE_TIME_MS);

/** Close codes the master uses; the agent maps them to clear log lines and reconnect policy. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  tooLarge: 1009,
  masterRestarting: 1012,
  protocolError: 4000,
  replaced: 4002,
  revoked: 4003,
  abusive: 4004,
  nodeDeleted: 4005,
  helloTimeout: 4008,
  heartbeatTimeout: 4009,
  unsupportedProtocol: 4010,
} as const;

export const Capabilities = z.object({
  exec: z.boolean(),
  files: z.boolean(),
  filesWrite: z.boolean(),
  roots: z.array(z.string().min(1).max(4096)).max(64),
  /** Honours an upload's `expect` (edit-in-place guard); agents without it must not be sent one. */
  guardedWrites: z.boolean().optional(),
  /** Lists its top processes on demand (absent: an agent from before the process list, which cannot). */
  processes: z.boolean().optional(),
  /** Opens interactive terminals (off unless the agent was started with --terminal; absent on older agents). */
  terminal: z.boolean().optional(),
  /** Runs probes the master assigns (on unless the agent was started with --no-probes; absent on older agents). */
  probes: z.boolean().optional(),
});
export type Capabilities = z.infer<typeof Capabilities>;

const shortText = z.string().max(256);

export const HostFacts = z.object({
  hostname: shortText,
  os: shortText,
  platform: z.string().max(32),
  arch: z.string().max(32),
  kernel: shortText,
  bootId: z.string().max(128),
});
export type HostFacts = z.infer<typeof HostFacts>;

export const CommandId = z.string().min(1).max(64);

export const HelloMessage = z.object({
  type: z.literal('hello'),
  protocol: z.number().int().positive(),
  agentVersion: z.string().min(1).max(64),
  facts: HostFacts,
  capabilities: Capabilities,
  /** Commands this agent process is running right now (re-reported after a reconnect). */
  running: z.array(CommandId).max(10_000).default([]),
  /** The certificate pins it accepts (absent from agents older than pin lists, which cannot take `pins`). */
  pins: z.lazy(() => PinList).optional(),
});
export type HelloMessage = z.infer<typeof HelloMessage>;

/** The payload of an `exec` command: a shell line or an argv, run as the agent's user. */
export const ExecPayload = z
  .object({
    command: z
      .string()
      .min(1)
      .max(64 * 1024)
      .optional(),
    argv: z
      .array(z.string().max(64 * 1024))
      .min(1)
      .max(1024)
      .optional(),
    cwd: z.string().max(4096).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(32 * 1024)).optional(),
    stdin: z
      .string()
      .max(MAX_STDIN_CHARS, `stdin is limited to ${MAX_STDIN_CHARS / 1024} KiB (${MAX_STDIN_CHARS} characters)`)
      .optional(),
  })
  .refine((p) => (p.command === undefined) !== (p.argv === undefined), 'give exactly one of command or argv');
export type ExecPayload = z.infer<typeof ExecPayload>;

export const CommandMessage = z.object({
  type: z.literal('command'),
  id: CommandId,
  kind: z.literal('exec'),
  payload: ExecPayload,
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(7 * 24 * 3_600_000),
  outputLimit: z.number().int().min(1024).max(MAX_OUTPUT_LIMIT),
});
export type CommandMessage = z.infer<typeof CommandMessage>;

export const CancelMessage = z.object({ type: z.literal('cancel'), id: CommandId });
/** The master committed this result; the agent may stop re-sending it. */
export const AckMessage = z.object({ type: z.literal('ack'), id: CommandId });

export const StartedMessage = z.object({ type: z.literal('started'), id: CommandId, at: WireTime });

export const OutputMessage = z.object({
  type: z.literal('output'),
  id: CommandId,
  stream: z.enum(['stdout', 'stderr']),
  data: z.string().max(256 * 1024),
});
export type OutputMessage = z.infer<typeof OutputMessage>;

export const CommandOutcome = z.enum(['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted']);
export type CommandOutcome = z.infer<typeof CommandOutcome>;

export const CommandResult = z.object({
  id: CommandId,
  outcome: CommandOutcome,
  exitCode: ExitCode.nullable(),
  signal: z.string().max(32).nullable(),
  startedAt: WireTime.nullable(),
  finishedAt: WireTime,
  stdout: z.string().max(MAX_OUTPUT_LIMIT),
  stderr: z.string().max(MAX_OUTPUT_LIMIT),
  truncated: z.boolean(),
  error: z.string().max(4096).nullable(),
});
export type CommandResult = z.infer<typeof CommandResult>;

export const ResultMessage = z.object({ type: z.literal('result'), result: CommandResult });

// ---- metrics: cumulative counters, several samples per frame when the interval is short -------

const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Jiffies (Linux) or milliseconds (os.cpus elsewhere): user nice system idle iowait irq softirq steal. */
const CpuTimes = z.array(Count).length(8);
const Name = z.string().min(1).max(256);
const Load = z.number().min(0).max(MAX_TASKS);

export const MetricSample = z.object({
  /** The agent's wall clock, ms. */
  t: WireTime,
  bootId: z.string().max(128),
  uptimeSec: z.number().min(0).max(MAX_UPTIME_SEC),
  /** `proc` when read from /proc (iowait and steal are real), `os` from Node's os module (they are not). */
  cpu: z.object({ source: z.enum(['proc', 'os']), total: CpuTimes, cores: z.array(CpuTimes).max(1024) }).nullable(),
  load: z.tuple([Load, Load, Load]).nullable(),
  memory: z
    .object({ total: Count, available: Count, used: Count, buffers: Count.nullable(), cached: Count.nullable() })
    .nullable(),
  swap: z.object({ total: Count, free: Count }).nullable(),
  disks: z
    .array(z.object({ mount: z.string().max(4096), fs: z.string().max(64), total: Count, used: Count, free: Count }))
    .max(256)
    .nullable(),
  diskIo: z.object({ readBytes: Count, writeBytes: Count, reads: Count, writes: Count }).nullable(),
  net: z
    .array(
      z.object({
        name: Name,
        rxBytes: Count,
        txBytes: Count,
        rxPackets: Count,
        txPackets: Count,
        /** Link speed in Mbit/s when the kernel knows it (physical NICs); null for virtual ones. */
        speedMbps: z.number().int().positive().max(MAX_SPEED_MBPS).nullable(),
      }),
    )
    .max(256)
    .nullable(),
  connections: z.object({ tcp: Count, udp: Count }).nullable(),
  processes: Count.max(MAX_TASKS).nullable(),
});
export type MetricSample = z.infer<typeof MetricSample>;

export const MAX_SAMPLES_PER_FRAME = 60;
export const MetricsMessage = z.object({
  type: z.literal('metrics'),
  intervalMs: z.number().int().min(1000).max(60_000),
  samples: z.array(MetricSample).min(1).max(MAX_SAMPLES_PER_FRAME),
});
export type MetricsMessage = z.infer<typeof MetricsMessage>;

// ---- files: RPCs and streamed transfers ---------------------------------------------------

export const FileType = z.enum(['file', 'directory', 'symlink', 'other']);
export const FileEntry = z.object({
  name: z.string(),
  path: z.string(),
  type: FileType,
  size: z.number(),
  mtime: z.number(),
  mode: z.number(),
  uid: z.number(),
  gid: z.number(),
  owner: z.string().nullable(),
  symlinkTarget: z.string().nullable(),
});
export type FileEntry = z.infer<typeof FileEntry>;

export const FilePath = z.string().min(1).max(4096);
/** The most processes a process list names per ranking (by CPU, by memory): its reply stays small. */
export const MAX_TOP_PROCESSES = 50;
export const RpcRequest = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('files.list'),
    params: z.object({
      path: FilePath,
      cursor: z.string().max(32).optional(),
      limit: z.number().int().min(1).max(5000),
    }),
  }),
  z.object({ method: z.literal('files.stat'), params: z.object({ path: FilePath }) }),
  z.object({ method: z.literal('files.mkdir'), params: z.object({ path: FilePath, parents: z.boolean() }) }),
  z.object({
    method: z.literal('files.rename'),
    params: z.object({ from: FilePath, to: FilePath, overwrite: z.boolean() }),
  }),
  z.object({ method: z.literal('files.delete'), params: z.object({ path: FilePath, recursive: z.boolean() }) }),
  z.object({
    method: z.literal('files.preview'),
    params: z.object({
      path: FilePath,
      maxBytes: z
        .number()
        .int()
        .min(1)
        .max(1024 * 1024),
    }),
  }),
  z.object({
    method: z.literal('processes.top'),
    params: z.object({ limit: z.number().int().min(1).max(MAX_TOP_PROCESSES) }),
  }),
]);
export type RpcRequest = z.infer<typeof RpcRequest>;
/** The RPCs the file service answers; the others go to their own part of the agent. */
export type FileRpcRequest = Extract<RpcRequest, { method: `files.${string}` }>;
export type ProcessRpcRequest = Extract<RpcRequest, { method: `processes.${string}` }>;

export const RpcMessage = z.object({ type: z.literal('rpc'), id: CommandId }).and(RpcRequest);
export type RpcMessage = z.infer<typeof RpcMessage>;

const WireError = z.object({ code: z.string().max(64), message: z.string().max(4096) });
export const RpcResultMessage = z.object({
  type: z.literal('rpc-result'),
  id: CommandId,
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: WireError.optional(),
});

/** A process list's command lines are cut to this many characters (the reply stays small). */
export const MAX_PROCESS_COMMAND_CHARS = 256;
export const ProcessInfo = z.object({
  pid: z.number().int().min(1).max(MAX_TASKS),
  name: z.string().max(64),
  command: z.string().max(MAX_PROCESS_COMMAND_CHARS),
  user: z.string().max(64).nullable(),
  /** Percent of the whole machine (all cores) over the sampling window; null for a process that just started. */
  cpu: z.number().min(0).max(100).nullable(),
  /** Resident memory. */
  memoryBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** Percent of the host's memory; null where the total is unknown. */
  memory: z.number().min(0).max(100).nullable(),
});
export type ProcessInfo = z.infer<typeof ProcessInfo>;
/** `processes.top`'s answer: two rankings of at most `limit` processes each. */
export const ProcessList = z.object({
  sampledAt: WireTime,
  /** How long CPU time was measured over. */
  windowMs: z.number().int().min(0).max(60_000),
  /** Processes on the host when it was sampled. */
  count: z.number().int().min(0).max(MAX_TASKS),
  byCpu: z.array(ProcessInfo).max(MAX_TOP_PROCESSES),
  byMemory: z.array(ProcessInfo).max(MAX_TOP_PROCESSES),
});
export type ProcessList = z.infer<typeof ProcessList>;

/** Transfer ids are exactly 16 ASCII characters: the header of every binary frame. */
export const TRANSFER_ID_BYTES = 16;
export const TransferId = z.string().regex(/^[0-9a-f]{16}$/);
export const TRANSFER_CHUNK_BYTES = 1024 * 1024;
/** A sender stops queueing file data while this much is unsent on its socket: control stays prompt. */
export const TRANSFER_SOCKET_HIGH_WATER = 4 * 1024 * 1024;
/** Unacknowledged bytes a receiver allows per transfer (both directions). */
export const TRANSFER_WINDOW_BYTES = 16 * 1024 * 1024;

export const DownloadMessage = z.object({
  type: z.literal('download'),
  id: TransferId,
  path: FilePath,
  offset: z.number().int().min(0),
  length: z.number().int().min(0).nullable(),
  window: z
    .number()
    .int()
    .min(TRANSFER_CHUNK_BYTES)
    .max(64 * 1024 * 1024),
});
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/**
 * What the target must still be for an upload to replace it (a text edited in place): the size and
 * SHA-256 of the content that was opened, and its mtime for the message. Checked when the upload
 * starts and again right before the rename.
 */
export const UploadExpectation = z.object({
  size: z.number().int().min(0),
  mtime: z.number(),
  sha256: Sha256Hex,
});
export type UploadExpectation = z.infer<typeof UploadExpectation>;
export const UploadMessage = z.object({
  type: z.literal('upload'),
  id: TransferId,
  path: FilePath,
  overwrite: z.boolean(),
  sha256: Sha256Hex.nullable(),
  expect: UploadExpectation.nullable().optional(),
});
export type DownloadRequest = z.infer<typeof DownloadMessage>;
export type UploadRequest = z.infer<typeof UploadMessage>;
export const UploadEndMessage = z.object({ type: z.literal('upload-end'), id: TransferId });
/** Cumulative bytes the receiver has consumed; the sender may have `window` more in flight. */
export const TransferAckMessage = z.object({
  type: z.literal('transfer-ack'),
  id: TransferId,
  bytes: z.number().int().min(0),
});
export const TransferCancelMessage = z.object({ type: z.literal('transfer-cancel'), id: TransferId });

export const TransferMetaMessage = z.object({
  type: z.literal('transfer-meta'),
  id: TransferId,
  size: z.number().int().min(0),
  mtime: z.number(),
  length: z.number().int().min(0),
});
export const TransferEndMessage = z.object({
  type: z.literal('transfer-end'),
  id: TransferId,
  bytes: z.number().int(),
});
export const TransferReadyMessage = z.object({
  type: z.literal('transfer-ready'),
  id: TransferId,
  window: z.number().int().min(TRANSFER_CHUNK_BYTES),
});
export const TransferDoneMessage = z.object({
  type: z.literal('transfer-done'),
  id: TransferId,
  bytes: z.number().int(),
  sha256: z.string(),
});
export const TransferErrorMessage = z.object({ type: z.literal('transfer-error'), id: TransferId, error: WireError });

/**
 * A rotated token for this agent, sent by the master over the authenticated channel. The agent stores
 * it durably (token-store.ts) before it answers with `token-ack`; until the overlap ends either token works.
 */
export const TokenMessage = z.object({
  type: z.literal('token'),
  id: CommandId,
  token: z.string().regex(/^fdk_[A-Za-z0-9_-]{43}$/, 'not a FleetDeck node token'),
});
export type TokenMessage = z.infer<typeof TokenMessage>;
export const TokenAckMessage = z.object({
  type: z.literal('token-ack'),
  id: CommandId,
  ok: z.boolean(),
  storedIn: z.enum(['token-file', 'state-dir']).nullable(),
  error: z.string().max(1024).nullable(),
});
export type TokenAckMessage = z.infer<typeof TokenAckMessage>;

/** A gateway certificate pin: `sha256:` and 64 lowercase hex digits. */
export const Pin = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'a pin is sha256: followed by 64 lowercase hex digits');
export const MAX_PINS = 16;
export const PinList = z.array(Pin).min(1).max(MAX_PINS);

/**
 * The certificate pins the agent should accept from now on (during a certificate rotation: the
 * current and the next; after it: the new one). The agent stores them (pin-store.ts) before it
 * answers `pins-ack`; it is sent only to agents whose hello listed their pins.
 */
export const PinsMessage = z.object({ type: z.literal('pins'), id: CommandId, pins: PinList });
export type PinsMessage = z.infer<typeof PinsMessage>;
export const PinsAckMessage = z.object({
  type: z.literal('pins-ack'),
  id: CommandId,
  ok: z.boolean(),
  /** What it keeps now. */
  pins: z.array(Pin).max(MAX_PINS),
  error: z.string().max(1024).nullable(),
});
export type PinsAckMessage = z.infer<typeof PinsAckMessage>;

/** Where a gateway serves the endorsement chain of its certificates (before any authentication). */
export const ENDORSEMENTS_PATH = '/fleetdeck/tls-endorsements';
/** What a certificate's predecessor signs to endorse it: this text with the new fingerprint. */
export const endorsementText = (fingerprint: string) => `fleetdeck-tls-endorsement:v1:${fingerprint}`;
export const EndorsementChain = z.object({
  certificates: z
    .array(
      z.object({
        certPem: z.string().max(8192),
        endorsedBy: Pin.nullable(),
        /** base64 signature by `endorsedBy`'s key over endorsementText(this certificate's fingerprint). */
        endorsement: z.string().max(1024).nullable(),
      }),
    )
    .max(32),
});
export type EndorsementChain = z.infer<typeof EndorsementChain>;
// ---- in-band upgrade ----------------------------------------------------------------------------
/** The largest agent file an upgrade downloads (the standalone executables are ~100 MB). */
export const MAX_UPGRADE_BYTES = 256 * 1024 * 1024;
export const UpgradeArtifact = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().min(1).max(MAX_UPGRADE_BYTES),
});
/**
 * The master offers its agent: the agent fetches the file for how it runs (bundle or standalone for
 * its arch) from the gateway over its pinned TLS, checks size and SHA-256, checks the file starts and
 * names `version`, swaps it in, and restarts; it rolls back on its own if not connected by `timeoutSec`.
 */
export const UpgradeMessage = z.object({
  type: z.literal('upgrade'),
  id: CommandId,
  version: z.string().min(1).max(64),
  artifacts: z.record(z.string().max(64), UpgradeArtifact),
  timeoutSec: z.number().int().min(10).max(3600),
});
export type UpgradeMessage = z.infer<typeof UpgradeMessage>;
export const UpgradeStatusMessage = z.object({
  type: z.literal('upgrade-status'),
  id: CommandId,
  /** restarting: swapped in, the agent exits now to run it; failed: nothing was changed. */
  phase: z.enum(['restarting', 'failed']),
  error: z.string().max(1024).nullable(),
});
export type UpgradeStatusMessage = z.infer<typeof UpgradeStatusMessage>;

// ---- terminals: a pseudo-terminal on the host, streamed both ways with a credit window ----------

/**
 * Terminal ids are 16 ASCII characters like transfer ids, but start with `t` (never a hex digit), so a
 * binary frame's header says which of the two it belongs to.
 */
export const TerminalId = z.string().regex(/^t[0-9a-f]{15}$/);
export const TERMINAL_MIN_WINDOW = 16 * 1024;
export const TERMINAL_MAX_WINDOW = 4 * 1024 * 1024;
/** Output the agent may send ahead of the master's acknowledgements unless the open asks otherwise. */
export const TERMINAL_DEFAULT_WINDOW = 256 * 1024;
/** One input message: a paste of this many characters at most (the browser splits longer ones). */
export const MAX_TERMINAL_INPUT_CHARS = 64 * 1024;
const TerminalSize = {
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(1).max(500),
};
export const TerminalOpenMessage = z.object({
  type: z.literal('terminal-open'),
  id: TerminalId,
  ...TerminalSize,
  window: z.number().int().min(TERMINAL_MIN_WINDOW).max(TERMINAL_MAX_WINDOW),
});
export type TerminalOpenMessage = z.infer<typeof TerminalOpenMessage>;
export const TerminalInputMessage = z.object({
  type: z.literal('terminal-input'),
  id: TerminalId,
  data: z.string().min(1).max(MAX_TERMINAL_INPUT_CHARS),
});
export const TerminalResizeMessage = z.object({ type: z.literal('terminal-resize'), id: TerminalId, ...TerminalSize });
/** Cumulative output bytes the master has passed on; the agent may have `window` more in flight. */
export const TerminalAckMessage = z.object({
  type: z.literal('terminal-ack'),
  id: TerminalId,
  bytes: z.number().int().min(0),
});
export const TerminalCloseMessage = z.object({ type: z.literal('terminal-close'), id: TerminalId });
export const TerminalOpenedMessage = z.object({
  type: z.literal('terminal-opened'),
  id: TerminalId,
  shell: z.string().max(4096),
  /** false where the size cannot be changed after the start (no `stty -F` on the host). */
  resizable: z.boolean(),
});
export const TerminalEndReason = z.enum(['exited', 'closed', 'idle', 'refused', 'failed', 'disconnected']);
export type TerminalEndReason = z.infer<typeof TerminalEndReason>;
export const TerminalClosedMessage = z.object({
  type: z.literal('terminal-closed'),
  id: TerminalId,
  reason: TerminalEndReason,
  exitCode: ExitCode.nullable(),
  error: WireError.nullable(),
});
export type TerminalClosedMessage = z.infer<typeof TerminalClosedMessage>;

// ---- probes (agent/probes/) -------------------------------------------------------------------
/** The master's whole probe set for this vantage point, on connect and on every change (replaces the last). */
export const ProbeSetMessage = z.object({
  type: z.literal('probe-set'),
  probes: z.array(ProbeAssignment).max(MAX_PROBES_PER_AGENT),
});
export type ProbeSetMessage = z.infer<typeof ProbeSetMessage>;
export const ProbeResultsMessage = z.object({
  type: z.literal('probe-results'),
  results: z.array(ProbeResult).min(1).max(MAX_RESULTS_PER_FRAME),
});
export type ProbeResultsMessage = z.infer<typeof ProbeResultsMessage>;

export const AgentMessage = z.discriminatedUnion('type', [
  HelloMessage,
  StartedMessage,
  OutputMessage,
  ResultMessage,
  MetricsMessage,
  RpcResultMessage,
  TransferMetaMessage,
  TransferEndMessage,
  TransferReadyMessage,
  TransferAckMessage,
  TransferDoneMessage,
  TransferErrorMessage,
  TokenAckMessage,
  PinsAckMessage,
  TerminalOpenedMessage,
  TerminalClosedMessage,
  UpgradeStatusMessage,
  ProbeResultsMessage,
]);
export type AgentMessage = z.infer<typeof AgentMessage>;

export const WelcomeMessage = z.object({
  type: z.literal('welcome'),
  nodeId: z.string(),
  nodeName: z.string(),
  heartbeatSec: z.number().positive(),
  masterVersion: z.string(),
  serverTime: z.number(),
});
export type WelcomeMessage = z.infer<typeof WelcomeMessage>;

export const ErrorMessage = z.object({
  type: z.literal('error'),
  code: z.string().max(64),
  message: z.string().max(1024),
});
export type ErrorMessage = z.infer<typeof ErrorMessage>;

export const MasterMessage = z.union([
  z.discriminatedUnion('type', [
    WelcomeMessage,
    ErrorMessage,
    CommandMessage,
    CancelMessage,
    AckMessage,
    DownloadMessage,
    UploadMessage,
    UploadEndMessage,
    TransferAckMessage,
    TransferCancelMessage,
    TokenMessage,
    PinsMessage,
    TerminalOpenMessage,
    TerminalInputMessage,
    TerminalResizeMessage,
    TerminalAckMessage,
    TerminalCloseMessage,
    UpgradeMessage,
    ProbeSetMessage,
  ]),
  RpcMessage,
]);
export type MasterMessage = z.infer<typeof MasterMessage>;

/** Header names used on the WebSocket upgrade request. */
export const AUTH_HEADER = 'authorization';
export const REJECT_REASON_HEADER = 'x-fleetdeck-reject-reason';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Parses one text frame against a schema; never throws. */
export function parseFrame<T>(schema: z.ZodType<T>, raw: string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'frame is not valid JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `invalid message${where}: ${issue?.message ?? 'unknown'}` };
}

// ---- enrollment (one-line installs) ----------------------------------------------------------
// Not a WebSocket message: `fleetdeck-agent enroll` POSTs this to the gateway over the same pinned TLS
// before the agent has a token, and gets its node's token back.
export const ENROLL_PATH = '/enroll';
export const MAX_ENROLL_BODY_BYTES = 4096;
export const EnrollRequest = z.object({
  code: z.string().min(1).max(32),
  /** The host's name: what a batch code names the node. */
  hostname: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a hostname is letters, digits, dots, dashes and underscores'),
});
export type EnrollRequest = z.infer<typeof EnrollRequest>;
export const EnrollReply = z.object({
  nodeId: z.string().min(1).max(64),
  nodeName: z.string().max(512),
  token: z.string(),
});
export type EnrollReply = z.infer<typeof EnrollReply>;
