// The one definition of every admin operation and event. REST routes, OpenAPI, IPC handlers,
// the preload bridge and the renderer client are all derived from this object.
import { z } from 'zod';
import { FileEntry, ProcessList } from '../../agent/protocol.js';
import { accessOperations } from './access-operations.js';
import { accountOperations } from './account-operations.js';
import {
  AlertHistoryEntry,
  AlertHistoryQuery,
  AlertPreview,
  AlertRulePatch,
  AlertRuleSpec,
  AlertRuleView,
  AlertView,
  ListAlerts,
  MaintenancePatch,
  MaintenanceSpec,
  MaintenanceView,
  SilencePatch,
  SilenceSpec,
  SilenceView,
} from './alert-schemas.js';
import { auditOperations } from './audit-operations.js';
import {
  FleetUptime,
  FleetUptimeQuery,
  NodeUptimeDays,
  NodeUptimeDaysQuery,
  TopProcessesQuery,
} from './availability-schemas.js';
import {
  AgentOverSsh,
  BootstrapJobView,
  BootstrapProgressEvent,
  KnownHostView,
  RemoveKnownHost,
  SaveSshCredential,
  SshConfigHostView,
  SshCredentialView,
  StartBootstrap,
  TunnelView,
} from './bootstrap-schemas.js';
import type { Caller } from './caller.js';
import { CreatedEnrollmentCode, CreateEnrollmentCode, EnrollmentCodeView } from './enroll-schemas.js';
import {
  ControlTransfer,
  CopyView,
  CreateDownloadTicket,
  DeleteFile,
  DownloadByTicket,
  DownloadFile,
  DownloadTicket,
  FileListing,
  FilePreview,
  ListFiles,
  MakeDirectory,
  PreviewFile,
  RenameFile,
  StartCopy,
  StatFile,
  TransferProgress,
  UploadFile,
  UploadResult,
} from './file-schemas.js';
import {
  FleetTransferQuery,
  FleetTransferReport,
  LiveMetrics,
  MetricsEvent,
  MetricsQuery,
  MetricsSeries,
  NodeLive,
  TrafficQuery,
  TrafficReport,
  TransferQuery,
  TransferReport,
} from './metrics-schemas.js';
import {
  ChannelId,
  ChannelView,
  CreateChannel,
  DeliveryEvent,
  DeliveryView,
  ListDeliveries,
  TestResult,
  UpdateChannel,
} from './notify-schemas.js';
import { probeOperations } from './probe-operations.js';
import { ProbeStateEvent } from './probe-schemas.js';
import {
  CommandOutputEvent,
  CommandStatusEvent,
  CommandView,
  EnqueueCommands,
  ListCommands,
  TaskPatch,
  TaskRunEvent,
  TaskRunView,
  TaskSpec,
  TaskView,
} from './queue-schemas.js';
import { AgentRolloutView, StartAgentRollout } from './rollout-schemas.js';
import {
  Booleanish,
  Empty,
  Health,
  IdempotencyKey,
  InstanceView,
  Labels,
  MasterInfo,
  NodeCredentials,
  NodeId,
  NodeName,
  NodeUptime,
  NodeView,
  Ok,
  StatusEvent,
} from './schemas.js';
import { statusPageOperations } from './status-page-operations.js';
import {
  BroadcastInput,
  BroadcastResult,
  ListTerminalSessions,
  OpenedTerminal,
  OpenTerminal,
  SessionRef,
  TerminalRecording,
  TerminalSessionView,
  TerminalTicket,
} from './terminal-schemas.js';
import { RotateTls, TlsStatus } from './tls-schemas.js';
import { TokenDelivery } from './token-schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface Operation<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  method: HttpMethod;
  path: string;
  summary: string;
  input: I;
  output: O;
  /** Public operations need no admin credential (only health). */
  public?: boolean;
  /** HTTP status on success. */
  status?: number;
  /** Takes `idempotencyKey` (REST: also the `Idempotency-Key` header): a retry enqueues nothing new. */
  idempotencyKey?: boolean;
  /** A non-GET operation that changes nothing on the fleet (a read-only console answers it too). */
  reads?: boolean;
}

function op<I extends z.ZodType, O extends z.ZodType>(o: Operation<I, O>): Operation<I, O> {
  return o;
}

const byId = z.object({ id: NodeId });
const alertId = z.object({ id: z.string().min(1).max(64) });

export const contract = {
  health: op({
    method: 'GET',
    path: '/api/health',
    summary: 'Liveness and database check',
    input: Empty,
    output: Health,
    public: true,
  }),
  masterInfo: op({
    method: 'GET',
    path: '/api/master',
    summary: 'Gateway address and certificate fingerprint agents pin',
    input: Empty,
    output: MasterInfo,
  }),
  tlsStatus: op({
    method: 'GET',
    path: '/api/tls',
    summary: 'The gateway certificate, a rotation in progress, and which agents confirmed its pin',
    input: Empty,
    output: TlsStatus,
  }),
  rotateTls: op({
    method: 'POST',
    path: '/api/tls/rotate',
    summary:
      'New gateway key and certificate: announced to connected agents (they store its pin), then served by every instance; the previous is retired once all agents confirmed or the grace ends',
    input: RotateTls,
    output: TlsStatus,
  }),
  retireTls: op({
    method: 'POST',
    path: '/api/tls/retire',
    summary:
      'Retire the previous gateway certificate now (its key is deleted; agents that missed the rotation follow the endorsement chain)',
    input: Empty,
    output: TlsStatus,
  }),
  listInstances: op({
    method: 'GET',
    path: '/api/instances',
    summary: 'The master instances sharing this database, which one leads, and which are alive',
    input: Empty,
    output: z.array(InstanceView),
  }),
  listNodes: op({
    method: 'GET',
    path: '/api/nodes',
    summary: 'All nodes with live status',
    input: Empty,
    output: z.array(NodeView),
  }),
  createNode: op({
    method: 'POST',
    path: '/api/nodes',
    summary: 'Create a node; returns its token once and the agent command',
    input: z.object({ name: NodeName, labels: Labels.optional() }),
    output: NodeCredentials,
    status: 201,
  }),
  getNode: op({ method: 'GET', path: '/api/nodes/:id', summary: 'One node', input: byId, output: NodeView }),
  updateNode: op({
    method: 'PATCH',
    path: '/api/nodes/:id',
    summary: 'Rename or relabel a node',
    input: byId.extend({ name: NodeName.optional(), labels: Labels.optional() }),
    output: NodeView,
  }),
  deleteNode: op({
    method: 'DELETE',
    path: '/api/nodes/:id',
    summary: 'Delete a node (refused while it has pending work, unless forced)',
    input: byId.extend({ force: Booleanish.optional() }),
    output: Ok,
  }),
  rotateNodeToken: op({
    method: 'POST',
    path: '/api/nodes/:id/rotate-token',
    summary:
      'Issue a new token; a connected agent receives and stores it over its channel, the old one keeps working for the overlap',
    input: byId.extend({ overlapSec: z.number().int().min(0).max(86_400).optional() }),
    output: NodeCredentials.extend({ delivery: TokenDelivery }),
  }),
  revokeNode: op({
    method: 'POST',
    path: '/api/nodes/:id/revoke',
    summary: 'Invalidate every token of the node and disconnect its agent now',
    input: byId,
    output: NodeView,
  }),
  fleetLive: op({
    method: 'GET',
    path: '/api/metrics/live',
    summary: "Every node's latest headline numbers (CPU, memory, disk, network rates), from memory",
    input: Empty,
    output: z.array(NodeLive),
  }),
  liveMetrics: op({
    method: 'GET',
    path: '/api/nodes/:id/metrics/live',
    summary: 'Latest sample and the recent ring (about 10 minutes at full resolution), from memory',
    input: byId,
    output: LiveMetrics,
  }),
  metricSeries: op({
    method: 'GET',
    path: '/api/nodes/:id/metrics',
    summary: 'Rolled-up metrics over a window (step 1m, 1h or 1d; chosen from the span when omitted)',
    input: MetricsQuery,
    output: MetricsSeries,
  }),
  nodeTransfer: op({
    method: 'GET',
    path: '/api/nodes/:id/transfer',
    summary: 'Traffic in the current or previous billing cycle, per day',
    input: TransferQuery,
    output: TransferReport,
  }),
  fleetTransfer: op({
    method: 'GET',
    path: '/api/transfer',
    summary: "Every node's traffic in the current or previous billing cycle (the fleet's cards)",
    input: FleetTransferQuery,
    output: FleetTransferReport,
  }),
  trafficReport: op({
    method: 'GET',
    path: '/api/traffic',
    summary: 'Fleet traffic over a window (default the last 24 h), optionally per node (top talkers first)',
    input: TrafficQuery,
    output: TrafficReport,
  }),
  nodeUptime: op({
    method: 'GET',
    path: '/api/nodes/:id/uptime',
    summary: 'Status history and uptime ratio over a window',
    input: byId.extend({
      hours: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 366)
        .optional(),
    }),
    output: NodeUptime,
  }),
  fleetUptime: op({
    method: 'GET',
    path: '/api/uptime',
    summary: "Every node's daily uptime (thousandths) and outage counts over the last days, for the fleet's bars",
    input: FleetUptimeQuery,
    output: FleetUptime,
  }),
  nodeUptimeDays: op({
    method: 'GET',
    path: '/api/nodes/:id/uptime/days',
    summary: "One node's daily uptime over the last days, with each day's outages",
    input: NodeUptimeDaysQuery,
    output: NodeUptimeDays,
  }),
  topProcesses: op({
    method: 'GET',
    path: '/api/nodes/:id/processes',
    summary: "The node's top processes by CPU and by memory, measured over a second (needs the processes capability)",
    input: TopProcessesQuery,
    output: ProcessList,
  }),
  enqueueCommands: op({
    method: 'POST',
    path: '/api/commands',
    summary: 'Queue a command on nodes (by id and/or label selector); one commit for the whole fan-out',
    input: EnqueueCommands.extend({ idempotencyKey: IdempotencyKey.optional() }),
    output: z.object({ commands: z.array(CommandView) }),
    status: 201,
    idempotencyKey: true,
  }),
  listCommands: op({
    method: 'GET',
    path: '/api/commands',
    summary: 'Commands, newest first, filtered by node, status, run, fan-out or text; paged by cursor',
    input: ListCommands,
    output: z.array(CommandView),
  }),
  getCommand: op({
    method: 'GET',
    path: '/api/commands/:id',
    summary: 'One command with status, timestamps, exit code and output',
    input: z.object({ id: z.string().max(64) }),
    output: CommandView,
  }),
  cancelCommand: op({
    method: 'POST',
    path: '/api/commands/:id/cancel',
    summary: 'Cancel a pending command, or stop a running one (SIGTERM, then SIGKILL)',
    input: z.object({ id: z.string().max(64) }),
    output: CommandView,
  }),
  listTasks: op({ method: 'GET', path: '/api/tasks', summary: 'Saved tasks', input: Empty, output: z.array(TaskView) }),
  createTask: op({
    method: 'POST',
    path: '/api/tasks',
    summary: 'Save a task (command, targets, limits, optional cron schedule)',
    input: TaskSpec,
    output: TaskView,
    status: 201,
  }),
  getTask: op({
    method: 'GET',
    path: '/api/tasks/:id',
    summary: 'One task with its next scheduled times',
    input: z.object({ id: z.string().max(64) }),
    output: TaskView,
  }),
  updateTask: op({
    method: 'PATCH',
    path: '/api/tasks/:id',
    summary: 'Change a task',
    input: TaskPatch.extend({ id: z.string().max(64) }),
    output: TaskView,
  }),
  deleteTask: op({
    method: 'DELETE',
    path: '/api/tasks/:id',
    summary: 'Delete a task and its history',
    input: z.object({ id: z.string().max(64) }),
    output: Ok,
  }),
  runTask: op({
    method: 'POST',
    path: '/api/tasks/:id/run',
    summary: 'Run a task now',
    input: z.object({ id: z.string().max(64), idempotencyKey: IdempotencyKey.optional() }),
    output: TaskRunView,
    status: 201,
    idempotencyKey: true,
  }),
  listTaskRuns: op({
    method: 'GET',
    path: '/api/tasks/:id/runs',
    summary: 'Recent runs of a task with per-status counts',
    input: z.object({ id: z.string().max(64), limit: z.coerce.number().int().min(1).max(500).optional() }),
    output: z.array(TaskRunView),
  }),
  getRun: op({
    method: 'GET',
    path: '/api/runs/:id',
    summary: 'One run with every command and its output',
    input: z.object({ id: z.string().max(64) }),
    output: TaskRunView,
  }),
  cancelRun: op({
    method: 'POST',
    path: '/api/runs/:id/cancel',
    summary: 'Cancel a queued or running run: unfinished commands are cancelled, the run ends cancelled',
    input: z.object({ id: z.string().max(64) }),
    output: TaskRunView,
  }),
  listFiles: op({
    method: 'GET',
    path: '/api/nodes/:id/files',
    summary: 'List a directory on the node: directories first, paged by cursor',
    input: ListFiles,
    output: FileListing,
  }),
  statFile: op({
    method: 'GET',
    path: '/api/nodes/:id/files/stat',
    summary: 'One path on the node',
    input: StatFile,
    output: FileEntry,
  }),
  previewFile: op({
    method: 'GET',
    path: '/api/nodes/:id/files/preview',
    summary: 'The first bytes of a text file (binary files are refused)',
    input: PreviewFile,
    output: FilePreview,
  }),
  makeDirectory: op({
    method: 'POST',
    path: '/api/nodes/:id/files/mkdir',
    summary: 'Create a directory (with parents when asked)',
    input: MakeDirectory,
    output: FileEntry,
    status: 201,
  }),
  renameFile: op({
    method: 'POST',
    path: '/api/nodes/:id/files/rename',
    summary: 'Rename or move within the shared directories',
    input: RenameFile,
    output: FileEntry,
  }),
  deleteFile: op({
    method: 'DELETE',
    path: '/api/nodes/:id/files',
    summary: 'Delete a file, or a directory (recursively only when asked)',
    input: DeleteFile,
    output: Ok,
  }),
  createDownloadTicket: op({
    method: 'POST',
    path: '/api/nodes/:id/files/download-ticket',
    summary: 'A single-use URL valid for 60 s that downloads the file without a credential (browser downloads)',
    input: CreateDownloadTicket,
    output: DownloadTicket,
    status: 201,
    reads: true,
  }),
  controlTransfer: op({
    method: 'POST',
    path: '/api/transfers/:id',
    summary: 'Pause, resume or cancel a running download or upload (by its transferId)',
    input: ControlTransfer,
    output: Ok,
    reads: true,
  }),
  startCopy: op({
    method: 'POST',
    path: '/api/copies',
    summary: 'Copy a file or folder from one node to another (or within one), streamed through the master',
    input: StartCopy,
    output: CopyView,
    status: 202,
  }),
  listCopies: op({
    method: 'GET',
    path: '/api/copies',
    summary:
      "This master's copies: running, and the last 50 finished (kept in the store: a copy its master was running when it stopped is listed as interrupted)",
    input: Empty,
    output: z.array(CopyView),
  }),
  controlCopy: op({
    method: 'POST',
    path: '/api/copies/:id',
    summary: 'Pause, resume or cancel a copy (a cancelled copy leaves nothing at the destination)',
    input: ControlTransfer,
    output: CopyView,
  }),
  startBootstrap: op({
    method: 'POST',
    path: '/api/bootstrap',
    summary: 'Install agents on hosts over SSH (verified host keys); progress on /api/events',
    input: StartBootstrap,
    output: BootstrapJobView,
    status: 202,
  }),
  getBootstrap: op({
    method: 'GET',
    path: '/api/bootstrap/:id',
    summary: 'A bootstrap job with every host and step',
    input: z.object({ id: z.string().max(64) }),
    output: BootstrapJobView,
  }),
  upgradeAgent: op({
    method: 'POST',
    path: '/api/nodes/:id/agent/upgrade',
    summary: 'Replace the agent over SSH, restart it, roll back if it does not reconnect',
    input: AgentOverSsh,
    output: BootstrapJobView,
    status: 202,
  }),
  uninstallAgent: op({
    method: 'POST',
    path: '/api/nodes/:id/agent/uninstall',
    summary: 'Stop the agent over SSH, remove its service, files and config, and revoke its token',
    input: AgentOverSsh,
    output: BootstrapJobView,
    status: 202,
  }),
  listSshCredentials: op({
    method: 'GET',
    path: '/api/ssh-credentials',
    summary: 'Saved SSH credentials (names and kinds only; secrets never leave the master)',
    input: Empty,
    output: z.array(SshCredentialView),
  }),
  saveSshCredential: op({
    method: 'POST',
    path: '/api/ssh-credentials',
    summary: 'Save an SSH credential, sealed at rest, to use by id in bootstrap requests',
    input: SaveSshCredential,
    output: SshCredentialView,
    status: 201,
  }),
  deleteSshCredential: op({
    method: 'DELETE',
    path: '/api/ssh-credentials/:id',
    summary: 'Forget a saved SSH credential',
    input: z.object({ id: z.string().max(64) }),
    output: Ok,
  }),
  sshConfigHosts: op({
    method: 'GET',
    path: '/api/ssh-config-hosts',
    summary:
      "Hosts from the master user's ~/.ssh/config (Host, HostName, Port, User, IdentityFile, ProxyJump), to import",
    input: Empty,
    output: z.array(SshConfigHostView),
  }),
  listKnownHosts: op({
    method: 'GET',
    path: '/api/known-hosts',
    summary: "Host keys FleetDeck trusts (its own known_hosts; the user's ~/.ssh/known_hosts is read too)",
    input: Empty,
    output: z.array(KnownHostView),
  }),
  listTunnels: op({
    method: 'GET',
    path: '/api/tunnels',
    summary: 'Reverse tunnels: which instance keeps each open, whether it is up and why not (no secrets)',
    input: Empty,
    output: z.array(TunnelView),
  }),
  removeKnownHost: op({
    method: 'DELETE',
    path: '/api/known-hosts',
    summary: "Forget FleetDeck's keys for a host (after an expected key change)",
    input: RemoveKnownHost,
    output: z.object({ removed: z.number() }),
  }),
  createEnrollmentCode: op({
    method: 'POST',
    path: '/api/enrollment-codes',
    summary:
      'A one-line install: an enrollment code (shown once, 15 min by default) for one named node or a batch, with the curl and wget lines that use it',
    input: CreateEnrollmentCode,
    output: CreatedEnrollmentCode,
    status: 201,
  }),
  listEnrollmentCodes: op({
    method: 'GET',
    path: '/api/enrollment-codes',
    summary: 'Enrollment codes of the last day (never the codes themselves): uses, state, enrolled nodes',
    input: Empty,
    output: z.array(EnrollmentCodeView),
  }),
  startAgentRollout: op({
    method: 'POST',
    path: '/api/agent-rollouts',
    summary:
      "Upgrade agents in-band to the master's agent: staged, N at a time, stopping past a failure threshold; each agent rolls back on its own if not back in time",
    input: StartAgentRollout,
    output: AgentRolloutView,
    status: 202,
  }),
  listAgentRollouts: op({
    method: 'GET',
    path: '/api/agent-rollouts',
    summary: 'Agent rollouts of this master (in memory, newest first)',
    input: Empty,
    output: z.array(AgentRolloutView),
  }),
  getAgentRollout: op({
    method: 'GET',
    path: '/api/agent-rollouts/:id',
    summary: 'One agent rollout with every node',
    input: z.object({ id: z.string().max(64) }),
    output: AgentRolloutView,
  }),
  revokeEnrollmentCode: op({
    method: 'POST',
    path: '/api/enrollment-codes/:id/revoke',
    summary: 'End an enrollment code now (nodes it enrolled stay)',
    input: z.object({ id: z.string().max(64) }),
    output: EnrollmentCodeView,
  }),
  // Notification channels and their delivery log (main/core/notify/).
  listChannels: op({
    method: 'GET',
    path: '/api/notify/channels',
    summary: 'Notification channels with their health (failing, pending messages); secrets never leave the master',
    input: Empty,
    output: z.array(ChannelView),
  }),
  createChannel: op({
    method: 'POST',
    path: '/api/notify/channels',
    summary:
      'Add a notification channel (webhook, email, Telegram, Slack, Discord, Teams, ntfy, Gotify); secrets sealed at rest',
    input: CreateChannel,
    output: ChannelView,
    status: 201,
  }),
  getChannel: op({
    method: 'GET',
    path: '/api/notify/channels/:id',
    summary: 'One notification channel',
    input: z.object({ id: ChannelId }),
    output: ChannelView,
  }),
  updateChannel: op({
    method: 'PATCH',
    path: '/api/notify/channels/:id',
    summary: 'Change a channel; secrets left out keep their saved values',
    input: UpdateChannel,
    output: ChannelView,
  }),
  deleteChannel: op({
    method: 'DELETE',
    path: '/api/notify/channels/:id',
    summary: 'Delete a channel with its queued messages and delivery log',
    input: z.object({ id: ChannelId }),
    output: Ok,
  }),
  testChannel: op({
    method: 'POST',
    path: '/api/notify/channels/:id/test',
    summary: 'Send a test message now and say whether it arrived (recorded in the delivery log)',
    input: z.object({ id: ChannelId }),
    output: TestResult,
  }),
  listDeliveries: op({
    method: 'GET',
    path: '/api/notify/deliveries',
    summary: 'Delivery log: messages newest first, each with its attempts and their outcomes',
    input: ListDeliveries,
    output: z.array(DeliveryView),
  }),
  listAlertRules: op({
    method: 'GET',
    path: '/api/alert-rules',
    summary: 'Alert rules',
    input: Empty,
    output: z.array(AlertRuleView),
  }),
  createAlertRule: op({
    method: 'POST',
    path: '/api/alert-rules',
    summary: 'Create an alert rule (condition, scope, severity, channels, optional action)',
    input: AlertRuleSpec,
    output: AlertRuleView,
    status: 201,
  }),
  previewAlertRule: op({
    method: 'POST',
    path: '/api/alert-rules/preview',
    summary: 'How often a draft rule would have fired in the last 24 h (from the rollups)',
    input: AlertRuleSpec,
    output: AlertPreview,
  }),
  getAlertRule: op({
    method: 'GET',
    path: '/api/alert-rules/:id',
    summary: 'One alert rule',
    input: alertId,
    output: AlertRuleView,
  }),
  updateAlertRule: op({
    method: 'PATCH',
    path: '/api/alert-rules/:id',
    summary: 'Change an alert rule (a changed condition starts its pending alerts over)',
    input: AlertRulePatch.extend({ id: alertId.shape.id }),
    output: AlertRuleView,
  }),
  deleteAlertRule: op({
    method: 'DELETE',
    path: '/api/alert-rules/:id',
    summary: 'Delete an alert rule and its alerts (the history stays)',
    input: alertId,
    output: Ok,
  }),
  listAlerts: op({
    method: 'GET',
    path: '/api/alerts',
    summary: 'Alerts: active (pending and firing, default), firing, pending, resolved, or recent (24 h)',
    input: ListAlerts,
    output: z.array(AlertView),
  }),
  alertHistory: op({
    method: 'GET',
    path: '/api/alerts/history',
    summary: 'Every firing and resolution, newest first, filtered by rule, node, state, severity and time',
    input: AlertHistoryQuery,
    output: z.array(AlertHistoryEntry),
  }),
  acknowledgeAlert: op({
    method: 'POST',
    path: '/api/alerts/:id/acknowledge',
    summary: 'Acknowledge an alert (it keeps firing until its condition recovers)',
    input: alertId,
    output: AlertView,
  }),
  listSilences: op({
    method: 'GET',
    path: '/api/silences',
    summary: 'Silences that have not ended (all=true: ended ones too)',
    input: z.object({ all: Booleanish.optional() }),
    output: z.array(SilenceView),
  }),
  createSilence: op({
    method: 'POST',
    path: '/api/silences',
    summary: 'Silence a rule and/or the nodes a label selector matches until a time',
    input: SilenceSpec,
    output: SilenceView,
    status: 201,
  }),
  updateSilence: op({
    method: 'PATCH',
    path: '/api/silences/:id',
    summary: 'Change a silence (end it early by setting endsAt to now)',
    input: SilencePatch.extend({ id: alertId.shape.id }),
    output: SilenceView,
  }),
  deleteSilence: op({
    method: 'DELETE',
    path: '/api/silences/:id',
    summary: 'Delete a silence',
    input: alertId,
    output: Ok,
  }),
  listMaintenanceWindows: op({
    method: 'GET',
    path: '/api/maintenance-windows',
    summary: 'Recurring maintenance windows (cron, duration, time zone) with whether one is open now',
    input: Empty,
    output: z.array(MaintenanceView),
  }),
  createMaintenanceWindow: op({
    method: 'POST',
    path: '/api/maintenance-windows',
    summary: 'Create a recurring maintenance window: alerts it matches are silenced while it is open',
    input: MaintenanceSpec,
    output: MaintenanceView,
    status: 201,
  }),
  updateMaintenanceWindow: op({
    method: 'PATCH',
    path: '/api/maintenance-windows/:id',
    summary: 'Change a maintenance window',
    input: MaintenancePatch.extend({ id: alertId.shape.id }),
    output: MaintenanceView,
  }),
  deleteMaintenanceWindow: op({
    method: 'DELETE',
    path: '/api/maintenance-windows/:id',
    summary: 'Delete a maintenance window',
    input: alertId,
    output: Ok,
  }),
  openTerminal: op({
    method: 'POST',
    path: '/api/nodes/:id/terminals',
    summary:
      "Open a terminal on the node (its agent must allow them: --terminal); answers a ticket for the session's WebSocket",
    input: OpenTerminal,
    output: OpenedTerminal,
    status: 201,
  }),
  terminalTicket: op({
    method: 'POST',
    path: '/api/terminals/:sessionId/ticket',
    summary: 'A new ticket for the WebSocket of an open session (to reattach after the browser dropped)',
    input: SessionRef,
    output: TerminalTicket,
  }),
  listTerminalSessions: op({
    method: 'GET',
    path: '/api/terminals',
    summary: 'Terminal sessions, newest first: open ones and ended ones with their recordings',
    input: ListTerminalSessions,
    output: z.array(TerminalSessionView),
  }),
  closeTerminal: op({
    method: 'POST',
    path: '/api/terminals/:sessionId/close',
    summary: 'End a terminal session (the shell on the host gets SIGHUP)',
    input: SessionRef,
    output: Ok,
  }),
  broadcastTerminalInput: op({
    method: 'POST',
    path: '/api/terminals/input',
    summary: 'Type the same input into several open sessions at once',
    input: BroadcastInput,
    output: BroadcastResult,
  }),
  terminalRecording: op({
    method: 'GET',
    path: '/api/terminals/:sessionId/recording',
    summary: "A session's recording (asciicast v2: output, input and resizes with their times)",
    input: SessionRef,
    output: TerminalRecording,
  }),
  ...accessOperations,
  // Probes (core/probes/), their own object in probe-operations.ts.
  ...probeOperations,
  ...statusPageOperations,
  ...auditOperations,
  ...accountOperations,
} as const;

/**
 * Operations whose body is a byte stream rather than JSON. They are served over HTTP (with
 * Range on downloads) and appear in the OpenAPI document; they have no IPC form yet.
 */
export const streams = {
  downloadFile: op({
    method: 'GET',
    path: '/api/nodes/:id/files/content',
    summary: 'Download a file (streamed; Range supported for resuming)',
    input: DownloadFile,
    output: z.unknown().describe('the file bytes'),
  }),
  uploadFile: op({
    method: 'PUT',
    path: '/api/nodes/:id/files/content',
    summary: 'Upload a file (streamed into a temp file, fsynced, checked, renamed into place)',
    input: UploadFile,
    output: UploadResult,
    status: 201,
  }),
  downloadByTicket: op({
    method: 'GET',
    path: '/api/downloads/:ticket',
    summary: 'Download with a ticket from createDownloadTicket (single use, no credential: the ticket is one)',
    input: DownloadByTicket,
    output: z.unknown().describe('the file bytes'),
    public: true,
  }),
} as const;

export type Contract = typeof contract;
export type OperationName = keyof Contract;
export type InputOf<K extends OperationName> = z.input<Contract[K]['input']>;
export type ParsedInputOf<K extends OperationName> = z.output<Contract[K]['input']>;
export type OutputOf<K extends OperationName> = z.output<Contract[K]['output']>;

/** What every transport must provide: one async function per operation. */
/** A handler gets the validated input and who is calling (see caller.ts); most ignore the caller. */
export type Handlers = {
  [K in OperationName]: (input: ParsedInputOf<K>, caller: Caller) => Promise<OutputOf<K>>;
};
/** What a client calls: the same functions, typed on their unparsed input. */
export type Client = { [K in OperationName]: (input: InputOf<K>) => Promise<OutputOf<K>> };

export const events = {
  nodeStatus: StatusEvent,
  nodeChanged: z.object({ nodeId: NodeId }),
  nodeDeleted: z.object({ nodeId: NodeId }),
  commandStatus: CommandStatusEvent,
  commandOutput: CommandOutputEvent,
  taskRunStatus: TaskRunEvent,
  transferProgress: TransferProgress,
  /** A node-to-node copy moved on (at most 4 a second) or changed state. */
  copyProgress: CopyView,
  /**
   * Headline numbers of the nodes that reported, coalesced to one tick per second; a tick of more than
   * METRICS_EVENT_NODES nodes comes as several events with the same `t`.
   */
  metrics: MetricsEvent,
  bootstrapProgress: BootstrapProgressEvent,
  /** An agent rollout moved (a node upgraded or failed, a stage began, the rollout ended). */
  agentRollout: AgentRolloutView,
  /** A notification attempt finished (delivered or failed). */
  notifyDelivery: DeliveryEvent,
  /** An alert's state changed (pending, firing, resolved, acknowledged). */
  alertChanged: AlertView,
  /** A terminal session opened, changed (attached, size) or ended. */
  terminalSession: TerminalSessionView,
  /** A probe's verdict or a vantage point's result changed (at most once a second per probe). */
  probeState: ProbeStateEvent,
} as const;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventOf<K extends EventName> = z.output<Events[K]>;
export type AnyEvent = { [K in EventName]: { event: K; data: EventOf<K> } }[EventName];
