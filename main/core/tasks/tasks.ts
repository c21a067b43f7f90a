// Tasks: saved command definitions run now or on a cron schedule. A run fans out to its targets in
// one transaction, honours a concurrency limit across nodes, and ends with an aggregate status. Every
// target has a deadline (a node that does not come back in time ends `expired`), so a run always ends;
// a scheduled run skips only the targets the previous run still holds, and says why.
import { Cron } from 'croner';
import { DEFAULT_OUTPUT_LIMIT, type ExecPayload } from '../../../agent/protocol.js';
import { FleetError, notFound } from '../../contract/errors.js';
import type { RetryPolicy, TaskPatch, TaskRunView, TaskSpec, TaskView } from '../../contract/queue-schemas.js';
import type { NodeView } from '../../contract/schemas.js';
import { currentAuditCaller, noteAuditFacts } from '../audit/context.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { NodeRegistry } from '../nodes/registry.js';
import { resolveTargets, type Targets, targetNodes } from '../nodes/targets.js';
import { toCommandView } from '../queue/command-view.js';
import type { IdempotencyClaim } from '../queue/idempotency.js';
import { orderedId } from '../queue/ids.js';
import type { CommandQueue } from '../queue/queue.js';
import type { CommandsTable, Db, TaskRunsTable, TasksTable } from '../store/schema.js';

/** A run's per-target deadline when the task sets none: long enough for a reboot, short of forever. */
export const DEFAULT_RUN_DEADLINE_SEC = 3_600;
/** Reasons name at most this many nodes, then count the rest. */
const NAMED_IN_REASON = 5;

/** "node web-3 offline, node web-4 busy and 2 more" */
function describeNodes(nodes: NodeView[], state: (node: NodeView) => string): string {
  const named = nodes.slice(0, NAMED_IN_REASON).map((n) => `node ${n.name} ${state(n)}`);
  const more = nodes.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const presence = (node: NodeView) => (node.status === 'online' ? 'still running it' : 'offline');

/** Parses a schedule, or says clearly why it does not parse. */
export function parseSchedule(schedule: string, timezone?: string): Cron {
  try {
    return new Cron(schedule, { paused: true, timezone: timezone ?? 'UTC' });
  } catch (error) {
    throw new FleetError(
      'bad_request',
      `Schedule "${schedule}"${timezone ? ` in ${timezone}` : ''} does not parse: ${(error as Error).message}. ` +
        'Use 5 or 6 cron fields, e.g. "*/5 * * * *".',
    );
  }
}

export class TaskService {
  private readonly jobs = new Map<string, Cron>();
  private scheduling = false;
  private loadedVersion = 0;
  private syncTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly queue: CommandQueue,
    private readonly registry: NodeRegistry,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    queue.onTerminal((rows) => {
      const runs = new Set(rows.map((r) => r.task_run_id).filter((id): id is string => id !== null));
      for (const runId of runs) {
        this.progress(runId).catch((err) => log.error({ err, runId }, 'task run progress failed'));
      }
    });
  }

  /**
   * Starts the schedules of enabled tasks (only the leader does this in shared mode) and reloads them
   * when another instance changes a task (the `tasks` configuration version moves).
   */
  async startScheduler(syncMs = 2_000): Promise<void> {
    this.scheduling = true;
    this.loadedVersion = await this.configVersion();
    const tasks = await this.db.selectFrom('tasks').selectAll().where('schedule', 'is not', null).execute();
    for (const task of tasks) this.schedule(task);
    this.syncTimer = setInterval(() => void this.syncSchedules(), syncMs);
    this.syncTimer.unref();
  }

  stopScheduler(): void {
    this.scheduling = false;
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = null;
    for (const job of this.jobs.values()) job.stop();
    this.jobs.clear();
  }

  private async configVersion(): Promise<number> {
    const row = await this.db
      .selectFrom('config_versions')
      .select('version')
      .where('name', '=', 'tasks')
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  private async syncSchedules(): Promise<void> {
    try {
      const version = await this.configVersion();
      if (version === this.loadedVersion || !this.scheduling) return;
      this.loadedVersion = version;
      for (const job of this.jobs.values()) job.stop();
      this.jobs.clear();
      const tasks = await this.db.selectFrom('tasks').selectAll().where('schedule', 'is not', null).execute();
      for (const task of tasks) this.schedule(task);
      this.log.info({ version }, 'reloaded task schedules changed on another instance');
    } catch (err) {
      this.log.warn({ err }, 'could not check for task changes');
    }
  }

  /** Marks a task change in the same transaction, so other instances reload. */
  private async bumpVersion(trx: Db): Promise<void> {
    await trx
      .updateTable('config_versions')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('name', '=', 'tasks')
      .execute();
  }

  async create(spec: TaskSpec): Promise<TaskView> {
    if (spec.schedule) parseSchedule(spec.schedule, spec.timezone);
    await resolveTargets(this.registry, spec.targets);
    const at = this.now();
    const row: TasksTable = { id: orderedId('task', at), ...this.columns(spec), created_at: at, updated_at: at };
    noteAuditFacts({ 'result.id': row.id });
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('tasks').values(row).execute();
      await this.bumpVersion(trx);
    });
    this.schedule(row);
    return this.view(row);
  }

  async update(id: string, patch: TaskPatch): Promise<TaskView> {
    const current = this.toSpec(await this.row(id));
    const spec: TaskSpec = { ...current };
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) Object.assign(spec, { [key]: value ?? undefined });
    }
    if (spec.schedule) parseSchedule(spec.schedule, spec.timezone);
    if (patch.targets) await resolveTargets(this.registry, spec.targets);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('tasks')
        .set({ ...this.columns(spec), updated_at: this.now() })
        .where('id', '=', id)
        .execute();
      await this.bumpVersion(trx);
    });
    const row = await this.row(id);
    this.schedule(row);
    return this.view(row);
  }

  async delete(id: string): Promise<void> {
    await this.row(id);
    const active = await this.db
      .selectFrom('task_runs')
      .select('id')
      .where('task_id', '=', id)
      .where('status', 'in', ['running', 'queued'])
      .executeTakeFirst();
    if (active) {
      throw new FleetError(
        'conflict',
        `Task ${id} has a run in progress (${active.id}); wait for it or cancel its commands.`,
      );
    }
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('tasks').where('id', '=', id).execute();
      await this.bumpVersion(trx);
    });
    this.jobs.get(id)?.stop();
    this.jobs.delete(id);
  }

  async get(id: string): Promise<TaskView> {
    return this.view(await this.row(id));
  }

  async list(): Promise<TaskView[]> {
    const rows = await this.db.selectFrom('tasks').selectAll().orderBy('created_at').execute();
    return rows.map((r) => this.view(r));
  }

  /** Scheduled tasks that target this node by id (they block deleting it). */
  async tasksTargeting(nodeId: string): Promise<number> {
    const rows = await this.db.selectFrom('tasks').select('targets').where('schedule', 'is not', null).execute();
    return rows.filter((r) => (JSON.parse(r.targets) as Targets).nodeIds?.includes(nodeId)).length;
  }

  /** With a `claim` (a keyed manual run), the key is stored with the run; see queue/idempotency.ts. */
  async run(
    taskId: string,
    trigger: 'manual' | 'schedule',
    scheduledFor: number | null = null,
    claim?: IdempotencyClaim,
  ): Promise<TaskRunView> {
    const task = await this.row(taskId);
    if (trigger === 'manual') return this.startRun(task, trigger, scheduledFor, null, claim);
    const { nodes, revoked } = await targetNodes(this.registry, this.toSpec(task).targets);
    const busy = await this.targetsStillPending(taskId, nodes);
    if (busy.length === 0) return this.startRun(task, trigger, scheduledFor, null, undefined, { nodes, revoked });
    const pending = `previous run still has ${plural(busy.length, 'target')} pending (${describeNodes(busy, presence)})`;
    const free = nodes.filter((n) => !busy.includes(n));
    // Overlap is decided per target: healthy targets keep their schedule while one node is away.
    if (task.overlap === 'skip' && free.length > 0) {
      const reason = `${plural(busy.length, 'target')} skipped: ${pending}`;
      return this.startRun(task, trigger, scheduledFor, null, undefined, { nodes: free, revoked, reason });
    }
    const status = task.overlap === 'queue' ? 'queued' : 'skipped';
    const reason = `${status}: ${pending}`;
    const run = await this.insertRun(task, trigger, status, 0, scheduledFor, reason);
    this.log.info({ taskId, runId: run.id, status, reason }, 'scheduled run overlaps the previous one');
    return this.runView(run.id);
  }

  /**
   * A manual run on some nodes the caller chose (an alert's action on the node it fired for), with
   * the reason recorded on the run; a `claim` makes a retry answer the first run.
   */
  async runOn(taskId: string, nodeIds: string[], reason: string, claim?: IdempotencyClaim): Promise<TaskRunView> {
    const task = await this.row(taskId);
    const { nodes, revoked } = await targetNodes(this.registry, { nodeIds });
    return this.startRun(task, 'manual', null, null, claim, { nodes, revoked, reason: reason.slice(0, 500) });
  }

  /** Targets that an unfinished run of this task still has a command for. */
  private async targetsStillPending(taskId: string, nodes: NodeView[]): Promise<NodeView[]> {
    const rows = await this.db
      .selectFrom('command_inflight')
      .innerJoin('task_runs', 'task_runs.id', 'command_inflight.task_run_id')
      .select('command_inflight.node_id')
      .distinct()
      .where('task_runs.task_id', '=', taskId)
      .where('task_runs.status', '=', 'running')
      .execute();
    const held = new Set(rows.map((r) => r.node_id));
    return nodes.filter((n) => held.has(n.id));
  }

  /**
   * Cancels a queued or running run: its unfinished commands end `cancelled` (a running one is asked
   * to stop), the run ends `cancelled` at once, and a run queued behind it may start.
   */
  async cancelRun(runId: string): Promise<TaskRunView> {
    const run = await this.db.selectFrom('task_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!run) throw notFound('run', runId);
    if (run.status !== 'running' && run.status !== 'queued') {
      throw new FleetError(
        'conflict',
        `Run ${runId} is already ${run.status}; only queued or running runs can be cancelled.`,
      );
    }
    const at = this.now();
    const updated = await this.db
      .updateTable('task_runs')
      .set({ status: 'cancelled', finished_at: at, reason: 'cancelled by an admin' })
      .where('id', '=', runId)
      .where('status', 'in', ['running', 'queued'])
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return this.runView(runId);
    const inflight = await this.db
      .selectFrom('command_inflight')
      .select('command_id')
      .where('task_run_id', '=', runId)
      .execute();
    for (const { command_id } of inflight) {
      await this.queue.cancel(command_id).catch((err: unknown) => {
        // Finished meanwhile: nothing left to cancel.
        if (!(err instanceof FleetError && err.code === 'conflict')) throw err;
      });
    }
    this.bus.emit('taskRunStatus', { id: runId, taskId: run.task_id, status: 'cancelled', at });
    await this.startQueuedRun(run.task_id);
    return this.runView(runId);
  }

  /** The newest runs of a task with their counts: two reads however many runs, no command output. */
  async runs(taskId: string, limit = 50): Promise<TaskRunView[]> {
    await this.row(taskId);
    const runs = await this.db
      .selectFrom('task_runs')
      .selectAll()
      .where('task_id', '=', taskId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    const counts = await this.latestCounts(runs.map((r) => r.id));
    return runs.map((run) => runViewOf(run, counts.get(run.id) ?? {}));
  }

  async runView(runId: string, withCommands = false): Promise<TaskRunView> {
    const run = await this.db.selectFrom('task_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!run) throw notFound('run', runId);
    if (!withCommands) return runViewOf(run, (await this.latestCounts([runId])).get(runId) ?? {});
    const commands = await this.db
      .selectFrom('commands')
      .selectAll()
      .where('task_run_id', '=', runId)
      .orderBy('id')
      .execute();
    return { ...runViewOf(run, countsOf(latestAttempts(commands))), commands: commands.map((c) => toCommandView(c)) };
  }

  /**
   * Per run, how many nodes' last attempts are in each state, counted by the database in one
   * statement (only the small columns are read, never the commands' output).
   */
  private async latestCounts(runIds: string[]): Promise<Map<string, Record<string, number>>> {
    const counts = new Map<string, Record<string, number>>();
    if (runIds.length === 0) return counts;
    const latest = this.db
      .selectFrom('commands')
      .select((eb) => ['task_run_id', 'node_id', eb.fn.max('attempt').as('attempt')])
      .where('task_run_id', 'in', runIds)
      .groupBy(['task_run_id', 'node_id'])
      .as('latest');
    const rows = await this.db
      .selectFrom('commands as c')
      .innerJoin(latest, (join) =>
        join
          .onRef('latest.task_run_id', '=', 'c.task_run_id')
          .onRef('latest.node_id', '=', 'c.node_id')
          .onRef('latest.attempt', '=', 'c.attempt'),
      )
      .select((eb) => ['c.task_run_id', 'c.status', eb.fn.countAll<number>().as('n')])
      .groupBy(['c.task_run_id', 'c.status'])
      .execute();
    for (const { task_run_id, status, n } of rows) {
      if (task_run_id === null) continue;
      counts.set(task_run_id, { ...counts.get(task_run_id), [status]: Number(n) });
    }
    return counts;
  }

  // ---- internals -------------------------------------------------------------------------

  private async startRun(
    task: TasksTable,
    trigger: 'manual' | 'schedule',
    scheduledFor: number | null,
    queuedRunId: string | null,
    claim?: IdempotencyClaim,
    chosen?: { nodes: NodeView[]; revoked: NodeView[]; reason?: string },
  ): Promise<TaskRunView> {
    const spec = this.toSpec(task);
    const {
      nodes,
      revoked,
      reason: overlap,
    } = chosen ?? { ...(await targetNodes(this.registry, spec.targets)), reason: undefined };
    if (nodes.length === 0) {
      const why = revoked.length > 0 ? ` (${describeNodes(revoked, () => 'revoked')})` : '';
      throw new FleetError('bad_request', `Task "${task.name}" matches no nodes that can run it${why}.`);
    }
    const nodeIds = nodes.map((n) => n.id);
    const notes = [overlap, revoked.length > 0 ? `left out: ${describeNodes(revoked, () => 'revoked')}` : undefined];
    const reason = notes.filter(Boolean).join('; ') || null;
    const at = this.now();
    const runId = queuedRunId ?? orderedId('run', at);
    const limit = spec.concurrency ?? nodeIds.length;
    const deadlineAt = at + this.deadlineMs(spec);
    await this.queue.enqueue(
      nodeIds.map((nodeId, i) => ({
        nodeId,
        exec: spec.exec,
        timeoutMs: spec.timeoutSec * 1000,
        outputLimit: DEFAULT_OUTPUT_LIMIT,
        // Held ones get theirs when released: waiting for a turn is not the node being away.
        deadlineAt: i < limit ? deadlineAt : null,
        retry: spec.retry ?? null,
        taskRunId: runId,
        origin: `task ${task.name} (${trigger})`,
        available: i < limit,
      })),
      async (trx) => {
        if (queuedRunId) {
          await trx
            .updateTable('task_runs')
            .set({
              status: 'running',
              total: nodeIds.length,
              concurrency: spec.concurrency ?? null,
              // A queued run keeps the reason it waited for.
              ...(reason ? { reason } : {}),
            })
            .where('id', '=', runId)
            .execute();
        } else {
          await trx
            .insertInto('task_runs')
            .values(this.runRow(task, runId, trigger, 'running', nodeIds.length, scheduledFor, at, reason))
            .execute();
        }
      },
      claim,
    );
    this.bus.emit('taskRunStatus', { id: runId, taskId: task.id, status: 'running', at });
    return this.runView(runId);
  }

  private runRow(
    task: TasksTable,
    id: string,
    trigger: 'manual' | 'schedule',
    status: TaskRunsTable['status'],
    total: number,
    scheduledFor: number | null,
    at: number,
    reason: string | null = null,
  ): TaskRunsTable {
    return {
      id,
      task_id: task.id,
      trigger,
      status,
      concurrency: task.concurrency,
      total,
      first_failure: null,
      scheduled_for: scheduledFor,
      created_at: at,
      finished_at: status === 'skipped' ? at : null,
      reason,
      launched_by: trigger === 'schedule' ? 'system' : (currentAuditCaller()?.name ?? 'system').slice(0, 200),
    };
  }

  private deadlineMs(spec: TaskSpec): number {
    return (spec.deadlineSec ?? DEFAULT_RUN_DEADLINE_SEC) * 1000;
  }

  private async insertRun(
    task: TasksTable,
    trigger: 'manual' | 'schedule',
    status: TaskRunsTable['status'],
    total: number,
    scheduledFor: number | null,
    reason: string | null = null,
  ): Promise<TaskRunsTable> {
    const at = this.now();
    const row = this.runRow(task, orderedId('run', at), trigger, status, total, scheduledFor, at, reason);
    await this.db.insertInto('task_runs').values(row).execute();
    this.bus.emit('taskRunStatus', { id: row.id, taskId: task.id, status, at });
    return row;
  }

  /** After commands of a run finish: release held ones up to the limit, or close the run. */
  private async progress(runId: string): Promise<void> {
    const run = await this.db.selectFrom('task_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (run?.status !== 'running') return;
    const inflight = await this.db
      .selectFrom('command_inflight')
      .select(['command_id', 'available_at'])
      .where('task_run_id', '=', runId)
      .orderBy('command_id')
      .execute();
    if (inflight.length > 0) {
      const active = inflight.filter((c) => c.available_at !== null).length;
      const room = (run.concurrency ?? Number.MAX_SAFE_INTEGER) - active;
      const held = inflight.filter((c) => c.available_at === null).slice(0, Math.max(0, room));
      const task = await this.db.selectFrom('tasks').selectAll().where('id', '=', run.task_id).executeTakeFirst();
      const deadlineMs = task ? this.deadlineMs(this.toSpec(task)) : DEFAULT_RUN_DEADLINE_SEC * 1000;
      await this.queue.release(
        held.map((c) => c.command_id),
        this.now() + deadlineMs,
      );
      return;
    }
    const commands = await this.db.selectFrom('commands').selectAll().where('task_run_id', '=', runId).execute();
    const latest = latestAttempts(commands);
    const failures = latest
      .filter((c) => c.status !== 'succeeded')
      .sort((a, b) => Number(a.finished_at) - Number(b.finished_at));
    const status = failures.length === 0 ? 'succeeded' : 'failed';
    const at = this.now();
    const updated = await this.db
      .updateTable('task_runs')
      .set({ status, finished_at: at, first_failure: failures[0]?.id ?? null })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return;
    this.bus.emit('taskRunStatus', { id: runId, taskId: run.task_id, status, at });
    await this.startQueuedRun(run.task_id);
  }

  private async startQueuedRun(taskId: string): Promise<void> {
    const queued = await this.db
      .selectFrom('task_runs')
      .selectAll()
      .where('task_id', '=', taskId)
      .where('status', '=', 'queued')
      .orderBy('created_at')
      .executeTakeFirst();
    if (!queued) return;
    const task = await this.row(taskId);
    await this.startRun(
      task,
      queued.trigger,
      queued.scheduled_for === null ? null : Number(queued.scheduled_for),
      queued.id,
    );
  }

  private schedule(task: TasksTable): void {
    this.jobs.get(task.id)?.stop();
    this.jobs.delete(task.id);
    if (!this.scheduling || !task.schedule || !task.enabled) return;
    const job = new Cron(task.schedule, { timezone: task.timezone ?? 'UTC', protect: true }, () => {
      const at = job.currentRun()?.getTime() ?? this.now();
      this.run(task.id, 'schedule', at).catch((err) =>
        this.log.error({ err, taskId: task.id }, 'scheduled run could not start'),
      );
    });
    this.jobs.set(task.id, job);
  }

  private async row(id: string): Promise<TasksTable> {
    const row = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('task', id);
    return row;
  }

  private columns(spec: TaskSpec) {
    return {
      name: spec.name,
      exec: JSON.stringify(spec.exec),
      targets: JSON.stringify(spec.targets),
      timeout_sec: spec.timeoutSec,
      retry: spec.retry ? JSON.stringify(spec.retry) : null,
      concurrency: spec.concurrency ?? null,
      schedule: spec.schedule ?? null,
      timezone: spec.timezone ?? null,
      overlap: spec.overlap,
      enabled: spec.enabled ? 1 : 0,
      deadline_sec: spec.deadlineSec ?? null,
    };
  }

  private toSpec(row: TasksTable): TaskSpec {
    return {
      name: row.name,
      exec: JSON.parse(row.exec) as ExecPayload,
      targets: JSON.parse(row.targets) as Targets,
      timeoutSec: row.timeout_sec,
      retry: row.retry ? (JSON.parse(row.retry) as RetryPolicy) : undefined,
      concurrency: row.concurrency ?? undefined,
      schedule: row.schedule ?? undefined,
      timezone: row.timezone ?? undefined,
      overlap: row.overlap,
      enabled: Boolean(row.enabled),
      deadlineSec: row.deadline_sec ?? undefined,
    };
  }

  private view(row: TasksTable): TaskView {
    const spec = this.toSpec(row);
    const nextRuns =
      spec.schedule && spec.enabled
        ? parseSchedule(spec.schedule, spec.timezone)
            .nextRuns(5)
            .map((d) => d.getTime())
        : [];
    return {
      id: row.id,
      name: spec.name,
      exec: spec.exec,
      targets: spec.targets,
      timeoutSec: spec.timeoutSec,
      retry: spec.retry ?? null,
      concurrency: spec.concurrency ?? null,
      schedule: spec.schedule ?? null,
      timezone: spec.timezone ?? null,
      overlap: spec.overlap,
      enabled: spec.enabled,
      deadlineSec: spec.deadlineSec ?? DEFAULT_RUN_DEADLINE_SEC,
      nextRuns,
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }
}

/** A run row and its counts as the API shows them. */
function runViewOf(run: TaskRunsTable, counts: Record<string, number>): TaskRunView {
  return {
    id: run.id,
    taskId: run.task_id,
    trigger: run.trigger,
    status: run.status,
    total: run.total,
    counts,
    firstFailure: run.first_failure,
    scheduledFor: run.scheduled_for === null ? null : Number(run.scheduled_for),
    createdAt: Number(run.created_at),
    finishedAt: run.finished_at === null ? null : Number(run.finished_at),
    reason: run.reason,
    launchedBy: run.launched_by,
  };
}

function countsOf(commands: CommandsTable[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of commands) counts[c.status] = (counts[c.status] ?? 0) + 1;
  return counts;
}

/** The last attempt per node: a retried failure counts once, as its final outcome. */
function latestAttempts(commands: CommandsTable[]): CommandsTable[] {
  const byNode = new Map<string, CommandsTable>();
  for (const c of commands) {
    const seen = byNode.get(c.node_id);
    if (!seen || c.attempt > seen.attempt) byNode.set(c.node_id, c);
  }
  return [...byNode.values()];
}
