// Table types for the typed query layer. Timestamps are epoch milliseconds; JSON columns are text.
import type { Generated, Kysely } from 'kysely';
import type { CommandStatus } from '../../contract/command-status.js';
import type { Tables21 } from './migrations/21-accounts.js';
import type { Tables22 } from './migrations/22-api-tokens.js';
import type { Tables23 } from './migrations/23-audit.js';
import type { Tables24 } from './migrations/24-probes.js';
import type { Tables25 } from './migrations/25-status-page.js';
import type { Tables26 } from './migrations/26-install.js';
import type { Tables27 } from './migrations/27-terminal-alerts.js';
import type { Tables28 } from './migrations/28-files.js';
import type { Tables30 } from './migrations/30-sign-in-failures.js';

export interface NodesTable {
  id: string;
  name: string;
  labels: string;
  kind: 'agent' | 'local';
  token_hash: string | null;
  prev_token_hash: string | null;
  prev_token_expires_at: number | null;
  revoked_at: number | null;
  status: 'never-connected' | 'online' | 'offline';
  hostname: string | null;
  os: string | null;
  platform: string | null;
  arch: string | null;
  kernel: string | null;
  boot_id: string | null;
  agent_version: string | null;
  remote_addr: string | null;
  capabilities: string | null;
  connected_since: number | null;
  last_seen_at: number | null;
  created_at: number;
  updated_at: number;
  /** The master instance the agent is connected to (shared mode). */
  instance_id: string | null;
}

export interface NodeStatusEventsTable {
  id: Generated<number>;
  node_id: string;
  status: 'online' | 'offline';
  at: number;
  reason: string;
}

export interface SchemaVersionTable {
  version: number;
  name: string;
  applied_at: number;
}

export type { CommandStatus };

export interface CommandsTable {
  id: string;
  node_id: string;
  task_run_id: string | null;
  retry_of: string | null;
  kind: string;
  payload: string;
  status: CommandStatus;
  attempt: number;
  max_attempts: number;
  retry_delay_ms: number;
  timeout_ms: number;
  output_limit: number;
  deadline_at: number | null;
  cancel_requested_at: number | null;
  created_at: number;
  dispatched_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  stdout: string | null;
  stderr: string | null;
  truncated: number;
  error: string | null;
  /** Who asked for it: "admin (API/UI)" or "task <name> (schedule|manual)" (null: before migration 11). */
  origin: string | null;
  /** The enqueue it came from: every command of one fan-out shares it (retries keep it). */
  batch_id: string | null;
  /** The command or argv as text, its first COMMAND_TEXT_CHARS characters: what the history's filter searches. */
  command_text: string | null;
  /** Who launched it: the caller's name (migration 23; null before it, "system" for schedules). */
  launched_by: string | null;
}

export interface CommandInflightTable {
  command_id: string;
  node_id: string;
  status: 'pending' | 'dispatched' | 'running';
  task_run_id: string | null;
  /** null while held back by a task run's concurrency limit. */
  available_at: number | null;
  deadline_at: number | null;
  lease_until: number | null;
}

export interface TasksTable {
  id: string;
  name: string;
  exec: string;
  targets: string;
  timeout_sec: number;
  retry: string | null;
  concurrency: number | null;
  schedule: string | null;
  timezone: string | null;
  overlap: 'skip' | 'queue';
  enabled: number;
  /** Per-target deadline of a run (s); null: the default (`DEFAULT_RUN_DEADLINE_SEC`). */
  deadline_sec: number | null;
  created_at: number;
  updated_at: number;
}

export type TaskRunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

export interface TaskRunsTable {
  id: string;
  task_id: string;
  trigger: 'manual' | 'schedule';
  status: TaskRunStatus;
  concurrency: number | null;
  total: number;
  first_failure: string | null;
  scheduled_for: number | null;
  created_at: number;
  finished_at: number | null;
  /** Why it was skipped, queued, cancelled or ran on fewer targets than the task names. */
  reason: string | null;
  /** Who launched it: the caller's name (migration 23; null before it, "system" for schedules). */
  launched_by: string | null;
}

export interface MetricRollupTable {
  node_id: string;
  /** Start of the bucket, epoch ms (UTC minute or hour). */
  bucket: number;
  samples: number;
  cpu_samples: number;
  cpu_sum: number;
  cpu_max: number | null;
  mem_samples: number;
  mem_used_sum: number;
  mem_total: number | null;
  load_samples: number;
  load_sum: number;
  rx_bytes: number;
  tx_bytes: number;
  rx_packets: number;
  tx_packets: number;
  disk_read_bytes: number;
  disk_write_bytes: number;
}

export interface TrafficDaysTable {
  node_id: string;
  /** Local calendar day in the billing time zone, YYYY-MM-DD. */
  day: string;
  rx_bytes: number;
  tx_bytes: number;
}

export interface MetricBaselinesTable {
  node_id: string;
  boot_id: string;
  uptime_sec: number;
  sampled_at: number;
  /** JSON: per-interface counters and disk I/O counters. */
  counters: string;
}

export interface InstancesTable {
  id: string;
  hostname: string;
  version: string;
  role: 'full' | 'console';
  agent_url: string;
  admin_url: string | null;
  started_at: number;
  heartbeat_at: number;
  last_error: string | null;
  /** Bumped by other instances when they queue commands for nodes this one holds (migration 17). */
  wakeups: number;
}

/** The gateway's certificates (migration 17): served, next during a rotation, previous, retired. */
export interface TlsCertificatesTable {
  fingerprint: string;
  cert_pem: string;
  /** Sealed private key; null once retired. */
  key_sealed: string | null;
  state: 'next' | 'current' | 'previous' | 'retired';
  /** The certificate whose key signed `endorsement` (the one this replaced). */
  endorsed_by: string | null;
  endorsement: string | null;
  created_at: number;
  switched_at: number | null;
  retire_at: number | null;
}

export interface NodeTlsPinsTable {
  node_id: string;
  /** JSON list of the fingerprints the agent last confirmed it keeps. */
  pins: string;
  updated_at: number;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface ClusterEventsTable {
  id: Generated<number>;
  instance_id: string;
  at: number;
  body: string;
}

export interface SpoolAppliedTable {
  instance_id: string;
  seq: number;
  part: number;
  applied_at: number;
}

export interface ConfigVersionsTable {
  name: string;
  version: number;
}

/** Idempotency keys of enqueueing requests (queue/idempotency.ts), kept 24 h. */
export interface IdempotencyKeysTable {
  /** SHA-256 (hex) of the client's key. */
  key_hash: string;
  operation: string;
  /** SHA-256 (hex) of the request without its key. */
  request_hash: string;
  /** What a retry answers from: the command ids, or the task run id. */
  response_json: string;
  created_at: number;
}

/** A notification channel (notify/channels.ts); `secrets` is sealed (SecretBox), never clear text. */
export interface NotifyChannelsTable {
  id: string;
  name: string;
  kind: string;
  /** JSON: the kind's settings that are not secret. */
  config: string;
  /** Sealed JSON of the kind's secrets (tokens, passwords, signing key, header values). */
  secrets: string | null;
  enabled: number;
  group_wait_sec: number;
  group_interval_sec: number;
  /** 0: never repeat. */
  repeat_interval_sec: number;
  /** Consecutive failed attempts since the last delivery. */
  failures: number;
  last_error: string | null;
  last_failure_at: number | null;
  last_success_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface AlertRulesTable {
  id: string;
  name: string;
  enabled: number;
  severity: 'info' | 'warning' | 'critical';
  /** The condition's kind, for reading one kind's rules without parsing every spec. */
  kind: string;
  /** JSON: the validated rule (condition, scope, channel ids, action). */
  spec: string;
  created_at: number;
  updated_at: number;
}

/** A transition waiting for (or assigned to) a channel's message (notify/outbox.ts). */
export interface NotifyOutboxTable {
  id: Generated<number>;
  transition_id: string;
  channel_id: string;
  group_key: string;
  alert_key: string;
  state: 'firing' | 'resolved';
  at: number;
  /** JSON: the AlertTransition. */
  body: string;
  /** null until grouping puts it into a message. */
  message_id: string | null;
  created_at: number;
}

export interface NotifyGroupAlertsTable {
  channel_id: string;
  group_key: string;
  alert_key: string;
  /** JSON: the firing AlertTransition. */
  body: string;
  since: number;
}

export interface NotifyGroupsTable {
  channel_id: string;
  group_key: string;
  last_sent_at: number;
  next_repeat_at: number | null;
}

export type NotifyMessageStatus = 'pending' | 'delivered' | 'failed' | 'expired';

export interface NotifyMessagesTable {
  /** Also the idempotency key receivers see. */
  id: string;
  channel_id: string;
  group_key: string;
  kind: 'firing' | 'resolved' | 'repeat' | 'test';
  alert_count: number;
  title: string;
  /** JSON: the notification (notify/notification.ts). */
  body: string;
  status: NotifyMessageStatus;
  attempts: number;
  /** When it is due; while an attempt runs, the end of that attempt's lease. */
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

export interface NotifyAttemptsTable {
  id: Generated<number>;
  message_id: string;
  channel_id: string;
  attempt: number;
  instance_id: string;
  started_at: number;
  finished_at: number | null;
  /** null while in flight, or when a crash interrupted it. */
  outcome: 'delivered' | 'failed' | 'interrupted' | null;
  status_code: number | null;
  error: string | null;
}

/** One-line install codes (core/enroll/codes.ts): hashed, short-lived, single-use or a batch. */
export interface EnrollmentCodesTable {
  id: string;
  code_hash: string;
  /** The node's name (single-use codes); null: each host's hostname (batches). */
  node_name: string | null;
  /** JSON object: the labels every node enrolled with this code gets. */
  labels: string;
  max_uses: number;
  uses: number;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface EnrollmentUsesTable {
  code_id: string;
  node_id: string;
  hostname: string;
  remote_addr: string;
  at: number;
}

/** Host keys FleetDeck trusts (migration 12): hashed host fields as `ssh-keygen -H` writes them. */
export interface KnownHostsTable {
  id: string;
  hosts: string;
  key_type: string;
  /** The public key blob, base64. */
  key_blob: string;
  marker: '@revoked' | '@cert-authority' | null;
  created_at: number;
}

/** Saved SSH credentials, sealed with the cluster key (secrets/secret-box.ts). */
export interface SshCredentialsTable {
  id: string;
  name: string;
  kind: 'key' | 'password' | 'agent';
  sealed: string;
  created_at: number;
}

/** Reverse-tunnel definitions and the status reported by the instance that keeps them open. */
export interface SshTunnelsTable {
  node_id: string;
  /** JSON: the SshTarget (host, port, username, jump). */
  target: string;
  remote_port: number;
  sealed_auth: string;
  revision: number;
  holder: string | null;
  status_revision: number | null;
  up: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface BootstrapJobsTable {
  id: string;
  kind: 'install' | 'upgrade' | 'uninstall';
  /** The instance that runs (or ran) the job. */
  instance_id: string;
  created_at: number;
  finished_at: number | null;
}

export interface BootstrapHostsTable {
  job_id: string;
  idx: number;
  host: string;
  node_id: string | null;
  status: 'pending' | 'running' | 'done' | 'failed';
  step: string | null;
  message: string | null;
  output: string | null;
  facts: string | null;
  host_key_fingerprint: string | null;
  host_key_verdict: 'unknown' | 'changed' | 'revoked' | null;
}

export interface BootstrapStepsTable {
  job_id: string;
  host_idx: number;
  seq: number;
  step: string;
  status: 'done' | 'failed';
  at: number;
  message: string | null;
}

/** The cluster key's identity (never the key): its id and check value, and the one before a rotation. */
export interface ClusterKeyTable {
  name: string;
  key_id: string;
  check_value: string;
  previous_key_id: string | null;
  created_at: number;
  rotated_at: number | null;
}

/** The migration lock (store/migration-lock.ts): a row with a lease, which Galera replicates. */
export interface MigrationLockTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface AlertStatesTable {
  /** `alr_` + a hash of `alert_key`: stable across restarts, safe in a URL. */
  id: string;
  /** The rule and its subject: `<rule>|<node>[|<mount or task>]`. */
  alert_key: string;
  rule_id: string;
  node_id: string | null;
  subject: string | null;
  state: 'pending' | 'firing' | 'resolved';
  since: number;
  fired_at: number | null;
  resolved_at: number | null;
  value: number | null;
  threshold: number | null;
  unit: string | null;
  summary: string;
  silenced: number;
  acknowledged_at: number | null;
  updated_at: number;
}

export interface AlertHistoryTable {
  /** The transition's id (`AlertTransition.id`), time-ordered. */
  id: string;
  alert_id: string;
  rule_id: string;
  rule_name: string;
  severity: 'info' | 'warning' | 'critical';
  node_id: string | null;
  node_name: string | null;
  state: 'firing' | 'resolved';
  at: number;
  value: number | null;
  threshold: number | null;
  summary: string;
  silenced: number;
  /** The rule's action on a firing: pending until its task run is queued, then done or failed. */
  action_state: 'pending' | 'done' | 'failed' | null;
  action_detail: string | null;
}

export interface AlertSilencesTable {
  id: string;
  rule_id: string | null;
  /** JSON labels, or null: any node. */
  selector: string | null;
  comment: string;
  starts_at: number;
  ends_at: number;
  created_at: number;
}

export interface AlertMaintenanceTable {
  id: string;
  name: string;
  cron: string;
  duration_sec: number;
  timezone: string;
  enabled: number;
  rule_id: string | null;
  selector: string | null;
  comment: string;
  created_at: number;
  updated_at: number;
}

/** Terminal sessions (migration 20; core/terminal/). */
export interface TerminalSessionsTable {
  id: string;
  node_id: string;
  node_name: string;
  instance_id: string;
  started_at: number;
  ended_at: number | null;
  end_reason: string | null;
  exit_code: number | null;
  message: string | null;
  shell: string | null;
  cols: number;
  rows: number;
  recorded_bytes: number;
  recording_truncated: number;
}

export interface TerminalRecordingChunksTable {
  session_id: string;
  seq: number;
  data: string;
}

/** Every table; those of migrations 21 on are declared beside their migration (migrations/). */
export interface Database
  extends Tables21,
    Tables22,
    Tables23,
    Tables24,
    Tables25,
    Tables26,
    Tables27,
    Tables28,
    Tables30 {
  terminal_sessions: TerminalSessionsTable;
  terminal_recording_chunks: TerminalRecordingChunksTable;
  known_hosts: KnownHostsTable;
  ssh_credentials: SshCredentialsTable;
  ssh_tunnels: SshTunnelsTable;
  bootstrap_jobs: BootstrapJobsTable;
  bootstrap_hosts: BootstrapHostsTable;
  bootstrap_steps: BootstrapStepsTable;
  cluster_key: ClusterKeyTable;
  migration_lock: MigrationLockTable;
  notify_channels: NotifyChannelsTable;
  notify_outbox: NotifyOutboxTable;
  notify_group_alerts: NotifyGroupAlertsTable;
  notify_groups: NotifyGroupsTable;
  notify_messages: NotifyMessagesTable;
  notify_attempts: NotifyAttemptsTable;
  enrollment_codes: EnrollmentCodesTable;
  enrollment_uses: EnrollmentUsesTable;
  alert_rules: AlertRulesTable;
  alert_states: AlertStatesTable;
  alert_history: AlertHistoryTable;
  alert_silences: AlertSilencesTable;
  alert_maintenance: AlertMaintenanceTable;
  idempotency_keys: IdempotencyKeysTable;
  config_versions: ConfigVersionsTable;
  spool_applied: SpoolAppliedTable;
  instances: InstancesTable;
  tls_certificates: TlsCertificatesTable;
  node_tls_pins: NodeTlsPinsTable;
  leases: LeasesTable;
  cluster_events: ClusterEventsTable;
  metric_minutes: MetricRollupTable;
  metric_hours: MetricRollupTable;
  traffic_days: TrafficDaysTable;
  metric_baselines: MetricBaselinesTable;
  commands: CommandsTable;
  command_inflight: CommandInflightTable;
  tasks: TasksTable;
  task_runs: TaskRunsTable;
  nodes: NodesTable;
  node_status_events: NodeStatusEventsTable;
  schema_version: SchemaVersionTable;
}

export type Db = Kysely<Database>;
