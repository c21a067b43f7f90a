// Shapes of commands, tasks and runs in the admin contract.
import { z } from 'zod';
import { DEFAULT_OUTPUT_LIMIT, ExecPayload, MAX_OUTPUT_LIMIT } from '../../agent/protocol.js';
import { COMMAND_STATUSES } from './command-status.js';
import { Labels, NodeId } from './schemas.js';

export const CommandStatus = z.enum(COMMAND_STATUSES);

/** Longest text filter of the command list (characters). */
export const MAX_COMMAND_QUERY = 200;
/** The stored, searchable command text keeps this many characters (a longer command matches on its start). */
export const COMMAND_TEXT_CHARS = 1024;

/** What a command runs, as one line of text: the shell command, or argv joined by spaces. */
export function commandTextOf(exec: { command?: string; argv?: string[] }): string {
  return exec.command ?? exec.argv?.join(' ') ?? '';
}

export const RetryPolicy = z.object({
  maxAttempts: z.number().int().min(1).max(20).describe('total attempts, including the first'),
  delaySec: z.number().min(0).max(86_400).default(10).describe('wait before the 2nd attempt; doubles after'),
});
export type RetryPolicy = z.infer<typeof RetryPolicy>;

export const TargetSelection = z.object({
  nodeIds: z.array(NodeId).max(100_000).optional(),
  selector: Labels.optional().describe('nodes whose labels include all of these'),
});

export const CommandOptions = z.object({
  exec: ExecPayload,
  timeoutSec: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(300),
  deadlineSec: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .optional()
    .describe('must start within; else expired'),
  retry: RetryPolicy.optional(),
  outputLimitBytes: z.number().int().min(1024).max(MAX_OUTPUT_LIMIT).default(DEFAULT_OUTPUT_LIMIT),
});

export const EnqueueCommands = TargetSelection.extend(CommandOptions.shape).refine(
  (v) => (v.nodeIds?.length ?? 0) > 0 || v.selector !== undefined,
  { message: 'choose target nodes: nodeIds, selector, or both', path: ['nodeIds'] },
);
export type EnqueueCommands = z.output<typeof EnqueueCommands>;

export const CommandView = z.object({
  id: z.string(),
  nodeId: NodeId,
  taskRunId: z.string().nullable(),
  retryOf: z.string().nullable(),
  batchId: z.string().nullable().describe('the enqueue (fan-out) it came from; retries keep it'),
  origin: z.string().describe('who asked: "admin (API/UI)" or "task <name> (schedule|manual)"'),
  launchedBy: z
    .string()
    .nullable()
    .describe('who launched it: the caller\'s name ("system" for schedules; null before the audit log)'),
  kind: z.string(),
  exec: ExecPayload,
  status: CommandStatus,
  attempt: z.number(),
  maxAttempts: z.number(),
  timeoutMs: z.number(),
  deadlineAt: z.number().nullable(),
  createdAt: z.number(),
  dispatchedAt: z.number().nullable(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  durationMs: z.number().nullable(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  stdout: z.string().nullable(),
  stderr: z.string().nullable(),
  truncated: z.boolean().describe('the output hit outputLimitBytes and was cut (a marker says where)'),
  outputLimitBytes: z.number(),
  outputBytes: z.number().nullable().describe('bytes of stdout + stderr stored (null before the result)'),
  error: z.string().nullable(),
});
export type CommandView = z.infer<typeof CommandView>;

export const ListCommands = z.object({
  nodeId: NodeId.optional(),
  status: CommandStatus.optional(),
  taskRunId: z.string().max(64).optional(),
  batchId: z.string().max(64).optional().describe('the commands of one enqueue (fan-out)'),
  q: z
    .string()
    .trim()
    .min(1)
    .max(MAX_COMMAND_QUERY)
    .optional()
    .describe('substring of the command text (command or argv), case-insensitive'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.string().max(64).optional().describe('cursor: the id of the last command of the previous page'),
  withOutput: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .transform((v) => v === true || v === 'true')
    .optional(),
});

const taskFields = {
  name: z.string().trim().min(1, 'a task needs a name').max(128),
  exec: ExecPayload,
  targets: TargetSelection.refine(
    (t) => (t.nodeIds?.length ?? 0) > 0 || t.selector !== undefined,
    'choose target nodes',
  ),
  timeoutSec: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400),
  retry: RetryPolicy,
  concurrency: z.number().int().min(1).max(100_000).describe('nodes running at once'),
  schedule: z.string().max(128).describe('cron expression (5 or 6 fields)'),
  timezone: z.string().max(64).describe('IANA zone for the schedule, default UTC'),
  overlap: z
    .enum(['skip', 'queue'])
    .describe('when a scheduled run finds targets of the last one still pending: skip those targets, or queue the run'),
  enabled: z.boolean(),
  deadlineSec: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .describe('per target: a command that has not reached its node by then ends expired (default 1 h)'),
};

export const TaskSpec = z.object({
  ...taskFields,
  timeoutSec: taskFields.timeoutSec.default(300),
  retry: taskFields.retry.optional(),
  concurrency: taskFields.concurrency.optional(),
  schedule: taskFields.schedule.optional(),
  timezone: taskFields.timezone.optional(),
  overlap: taskFields.overlap.default('skip'),
  enabled: taskFields.enabled.default(true),
  deadlineSec: taskFields.deadlineSec.optional(),
});
/** A task as the core stores and runs it: parsed, defaults filled. */
export type TaskSpec = z.output<typeof TaskSpec>;

/** A change to a task: only the fields given change; null clears an optional setting. */
export const TaskPatch = z
  .object({
    ...taskFields,
    retry: taskFields.retry.nullable(),
    concurrency: taskFields.concurrency.nullable(),
    schedule: taskFields.schedule.nullable(),
    timezone: taskFields.timezone.nullable(),
    deadlineSec: taskFields.deadlineSec.nullable(),
  })
  .partial();
export type TaskPatch = z.output<typeof TaskPatch>;

export const TaskView = z.object({
  id: z.string(),
  name: z.string(),
  exec: ExecPayload,
  targets: TargetSelection,
  timeoutSec: z.number(),
  retry: RetryPolicy.nullable(),
  concurrency: z.number().nullable(),
  schedule: z.string().nullable(),
  timezone: z.string().nullable(),
  overlap: z.enum(['skip', 'queue']),
  enabled: z.boolean(),
  deadlineSec: z.number().describe('per-target deadline of its runs, seconds (the default when not set)'),
  nextRuns: z.array(z.number()).describe('the next scheduled times (ms), empty without a schedule'),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type TaskView = z.infer<typeof TaskView>;

export const RunStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'skipped']);

export const TaskRunView = z.object({
  id: z.string(),
  taskId: z.string(),
  trigger: z.enum(['manual', 'schedule']),
  status: RunStatus,
  total: z.number(),
  counts: z.record(z.string(), z.number()).describe('commands per status'),
  firstFailure: z.string().nullable().describe('id of the first command that did not succeed'),
  scheduledFor: z.number().nullable(),
  createdAt: z.number(),
  finishedAt: z.number().nullable(),
  reason: z
    .string()
    .nullable()
    .describe('why it was skipped, queued, cancelled or ran on fewer targets than the task names'),
  launchedBy: z
    .string()
    .nullable()
    .describe('who launched it: the caller\'s name ("system" for schedules; null before the audit log)'),
  commands: z.array(CommandView).optional(),
});
export type TaskRunView = z.infer<typeof TaskRunView>;

export const CommandStatusEvent = z.object({
  id: z.string(),
  nodeId: NodeId,
  status: CommandStatus,
  at: z.number(),
  taskRunId: z.string().nullable(),
  exitCode: z.number().nullable(),
});
export const CommandOutputEvent = z.object({
  id: z.string(),
  nodeId: NodeId,
  stream: z.enum(['stdout', 'stderr']),
  data: z.string(),
});
export const TaskRunEvent = z.object({ id: z.string(), taskId: z.string(), status: RunStatus, at: z.number() });
