// The durable command queue (docs/architecture.md, Command queue). A command is committed before it
// is sent and its result before it is acknowledged; delivery is at-least-once and the agent's journal
// makes the effect exactly-once. Writes from the same tick are group-committed.

import type { CommandMessage, CommandResult, ExecPayload } from '../../../agent/protocol.js';
import { FleetError, notFound } from '../../contract/errors.js';
import { COMMAND_TEXT_CHARS, commandTextOf, type RetryPolicy } from '../../contract/queue-schemas.js';
import { type Dialect, queueAppend, writeAppend } from '../audit/chain.js';
import { type AuditScope, currentAuditCaller, takeAuditDraft } from '../audit/context.js';
import type { AuditDraft } from '../audit/entry.js';
import type { EventBus } from '../events.js';
import type { AgentLinks } from '../gateway/links.js';
import { GroupCommit } from '../group-commit.js';
import type { Logger } from '../log.js';
import { type CredentialRow, tokenStanding } from '../nodes/credentials.js';
import { retryWithBackoff } from '../retry.js';
import { isDataError } from '../store/db-errors.js';
import type { CommandStatus, CommandsTable, Db } from '../store/schema.js';
import { batchedTransaction, isServerDatabase, type StatementBatch } from '../store/statement-batch.js';
import { withoutWriteHook } from '../store/write-hook.js';
import { DeliveredCommands } from './delivered.js';
import {
  type IdempotencyClaim,
  IdempotencyKeyTaken,
  isDuplicateKey,
  selectKeys,
  takenClaims,
  writeKeys,
} from './idempotency.js';
import { orderedId } from './ids.js';
import { plausibleTime, withPlausibleTimes } from './report-times.js';
import {
  insertCommands,
  markDispatched,
  markEnded,
  markFinished,
  markRunning,
  type NodeQueueState,
  queueStatesOf,
  rowsOf,
  selectClaimable,
  selectCredentials,
  selectQueueStates,
  selectRows,
} from './statements.js';
import { predecessorsOf } from './states.js';
import { Sweeper, type UnreportedFinish } from './sweeper.js';

/** Where the queue writes the audit entries of enqueues, in their own transaction (audit/audit-log.ts). */
export interface QueueAudit {
  dialect: Dialect;
  instanceId: string;
}

export interface NewCommand {
  nodeId: string;
  exec: ExecPayload;
  timeoutMs: number;
  outputLimit: number;
  deadlineAt: number | null;
  retry: RetryPolicy | null;
  taskRunId?: string | null;
  /** Who asked for it (shown in the command history); default "admin (API/UI)". */
  origin?: string;
  /** false: held back until the task run releases it (concurrency limit). */
  available?: boolean;
  /** Who launched it (the caller's name); default: the caller of the operation being audited, else "system". */
  launchedBy?: string;
}

export interface QueueOptions {
  /** Most commands dispatched but unfinished per node; the agent queues them in order. */
  windowPerNode: number;
  /** A dispatched/running command whose node is away longer than timeout + this is lost. */
  leaseGraceMs: number;
  sweepIntervalMs: number;
  /**
   * Shared mode: this instance's id (claims skip rows another instance locked; the sweeper asks the
   * database whether a node is connected elsewhere). The cluster polls for commands other instances
   * queued for agents here (cluster/pending-poll.ts).
   */
  instanceId: string | null;
}

/** The origin of commands enqueued through the admin API, CLI or UI (there are no user accounts yet). */
export const ADMIN_ORIGIN = 'admin (API/UI)';

const DEFAULTS: QueueOptions = {
  windowPerNode: 256,
  leaseGraceMs: 60_000,
  sweepIntervalMs: 1_000,
  instanceId: null,
};

type Write = EnqueueBatch | StartReport | Report;
type StartReport = { kind: 'started'; nodeId: string; id: string; at: number };
/** `tokenHash`: the token of the reporting connection (null: the built-in local node, no token). */
type Report = { kind: 'result'; nodeId: string; result: CommandResult; tokenHash: string | null };
type EnqueueBatch = {
  kind: 'enqueue';
  rows: CommandsTable[];
  commands: NewCommand[];
  alsoInTransaction: ((trx: Db) => Promise<void>) | undefined;
  /** The request's idempotency key: stored with the commands, or the enqueue is skipped if it is there. */
  claim: IdempotencyClaim | undefined;
  /** The audited operation that enqueues: its entry goes into this commit. */
  audit: AuditScope | null;
};
/** A result report: accepted or not; an enqueue: undefined, or `key-taken` when it was skipped. */
type WriteOutcome = boolean | 'key-taken' | undefined;
type TerminalListener = (rows: CommandsTable[]) => void;
/** Nodes that got new commands while not connected here (another instance may hold them). */
type ElsewhereListener = (nodeIds: Set<string>) => void;

/** The entry of an audited enqueue: its operation's draft with the commands' nodes and ids. */
function auditDraftOf({ audit, rows }: EnqueueBatch): AuditDraft[] {
  if (!audit) return [];
  const first = rows[0];
  return [
    {
      ...audit.draft,
      targets: rows.map((r) => ({ id: r.node_id, name: null })),
      detail: {
        ...audit.draft.detail,
        command: first?.command_text ?? null,
        commandIds: rows.map((r) => r.id),
        batchId: first?.batch_id ?? null,
        ...(first?.task_run_id ? { taskRunId: first.task_run_id } : {}),
      },
    },
  ];
}

/** MariaDB deadlock (1213) or lock wait timeout (1205): the transaction is safe to run again. */
function isConflict(error: unknown): boolean {
  const errno = (error as { errno?: number }).errno;
  return errno === 1213 || errno === 1205;
}

/**
 * A claim transaction lost a deadlock to another instance (or, with `alsoRetry`, another error worth
 * running again for): run it again, a few times at most.
 */
function retryOnConflict<T>(run: () => Promise<T>, alsoRetry?: (error: unknown) => boolean, attempts = 5): Promise<T> {
  return retryWithBackoff(run, {
    firstDelayMs: 5,
    maxDelayMs: 80,
    jitter: true,
    keepTrying: (error, attempt) => (isConflict(error) || alsoRetry?.(error) === true) && attempt < attempts,
  });
}

export class CommandQueue {
  private readonly options: QueueOptions;
  private readonly kicked = new Set<string>();
  private kickScheduled = false;
  private dispatchRunning = false;
  /** Deadlines, leases and due retries (sweeper.ts); only the leader's ends commands. */
  private readonly sweeper: Sweeper;
  private stopping = false;
  private readonly terminalListeners: TerminalListener[] = [];
  private elsewhereListener: ElsewhereListener | null = null;
  private readonly writes: GroupCommit<Write, WriteOutcome>;
  /**
   * On a database server starts commit beside the other writes, on a connection of their own (they
   * never change what may be claimed); SQLite has one writer, so there they share `writes`.
   */
  private readonly startWrites: GroupCommit<Write, WriteOutcome>;
  /** With separate start commits, a result waits for its command's start to commit first. */
  private readonly startsInFlight = new Map<string, Promise<unknown>>();
  private readonly delivered = new DeliveredCommands();
  /** Output frames dropped because they named a command not delivered to the sending node. */
  foreignOutputFrames = 0;
  /** Results refused because the reporting connection's token no longer stood. */
  resultsFromRetiredTokens = 0;
  /** Set by the master: enqueues of audited operations write their entry in the commit (null: none). */
  audit: QueueAudit | null = null;

  constructor(
    private readonly db: Db,
    private readonly links: AgentLinks,
    private readonly bus: EventBus,
    private readonly log: Logger,
    options: Partial<QueueOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.writes = new GroupCommit((items) => this.commitWrites(items));
    this.startWrites = isServerDatabase(db) ? new GroupCommit((items) => this.commitWrites(items)) : this.writes;
    this.sweeper = new Sweeper(db, this, {
      intervalMs: this.options.sweepIntervalMs,
      shared: this.options.instanceId !== null,
      isConnectedHere: (nodeId) => links.isConnected(nodeId),
      now,
      onError: (err) => log.error({ err }, 'queue sweep failed'),
    });
  }

  start(): void {
    this.sweeper.start();
  }

  setLeader(leader: boolean): void {
    this.sweeper.setLeader(leader);
  }

  /** One pass of the maintenance services (the timer runs it every second). */
  sweep(): Promise<void> {
    return this.sweeper.sweep();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.sweeper.stop();
    await this.startWrites.flush();
    await this.writes.flush();
  }

  onTerminal(listener: TerminalListener): void {
    this.terminalListeners.push(listener);
  }

  /** Shared mode: told, after the commit, which nodes got commands that this instance cannot send. */
  onPendingElsewhere(listener: ElsewhereListener): void {
    this.elsewhereListener = listener;
  }

  /**
   * One transaction for the whole batch (a fan-out to N nodes is one commit); concurrent calls in
   * the same tick share it. `alsoInTransaction` runs in that transaction (a task run's row). With a
   * `claim`, its key is stored in that transaction too; if the key is already stored, nothing is
   * written and `IdempotencyKeyTaken` is thrown.
   */
  async enqueue(
    commands: NewCommand[],
    alsoInTransaction?: (trx: Db) => Promise<void>,
    claim?: IdempotencyClaim,
  ): Promise<CommandsTable[]> {
    if (commands.length === 0) return [];
    const at = this.now();
    // One id for the fan-out, so its commands can be found together later.
    const batchId = orderedId('fan', at);
    const rows = commands.map((c) => this.newRow(c, at, 1, null, batchId));
    const audit = this.audit ? takeAuditDraft() : null;
    let outcome: WriteOutcome;
    try {
      outcome = await this.writes.push({ kind: 'enqueue', rows, commands, alsoInTransaction, claim, audit });
    } catch (error) {
      // Rolled back with the commands: the operation's wrapper records the failure instead.
      if (audit) audit.taken = false;
      throw error;
    }
    if (outcome === 'key-taken') throw new IdempotencyKeyTaken();
    for (const row of rows) this.emitStatus(row, 'pending', at);
    return rows;
  }

  /**
   * One transaction per tick for everything written on the hot path: new commands, starts and
   * results from agents, then claims for the connected nodes they touched. One commit, one fsync,
   * one hop to the agents; on MariaDB one to three round trips in all.
   */
  private async commitWrites(writes: Write[]): Promise<WriteOutcome[]> {
    const enqueues = writes.filter((w): w is EnqueueBatch => w.kind === 'enqueue');
    const starts = writes.filter((w): w is StartReport => w.kind === 'started');
    const reports = writes.filter((w): w is Report => w.kind === 'result');
    const at = this.now();
    // A key another master committed meanwhile fails the insert; run again, the read then skips it.
    const keyed = enqueues.some((e) => e.claim !== undefined);
    // Start commits and other instances run beside this one on MariaDB: a deadlock rolls it all back.
    const outcome = await retryOnConflict(
      () =>
        batchedTransaction(this.db, (batch, conn) =>
          this.writeInTransaction(batch, conn, { enqueues, starts, reports }, at),
        ),
      keyed ? isDuplicateKey : undefined,
    );
    for (const [scope, seq] of outcome.audited) scope.committedSeq = seq;
    for (const row of outcome.started) this.emitStatus(row, 'running', Number(row.started_at));
    this.afterTerminal(outcome.finished, outcome.retries);
    this.tellElsewhere(enqueues.filter((e) => !outcome.skipped.has(e)));
    // Pending events go out when enqueue() resolves; dispatch follows on the next tick.
    setImmediate(() => this.sendClaimed(outcome.claimed));
    let next = 0;
    return writes.map((w) => {
      if (w.kind === 'result') return outcome.accepted[next++];
      return w.kind === 'enqueue' && outcome.skipped.has(w) ? 'key-taken' : undefined;
    });
  }

  /** New commands of nodes not connected here: the instance holding them is woken (cluster/wakeups.ts). */
  private tellElsewhere(enqueued: EnqueueBatch[]): void {
    if (!this.elsewhereListener || enqueued.length === 0) return;
    const nodes = new Set<string>();
    for (const { rows } of enqueued) {
      for (const row of rows) if (!this.links.isConnected(row.node_id)) nodes.add(row.node_id);
    }
    if (nodes.size > 0) this.elsewhereListener(nodes);
  }

  private async writeInTransaction(
    batch: StatementBatch,
    conn: Db,
    { enqueues, starts, reports }: { enqueues: EnqueueBatch[]; starts: StartReport[]; reports: Report[] },
    at: number,
  ) {
    // Starts check their reporter and state in SQL, so they need nothing read first; every start
    // precedes its command's result, so writing them first keeps that order.
    markRunning(batch, conn, starts, at + this.options.leaseGraceMs);
    const startedRows = selectRows(
      batch,
      conn,
      starts.map((s) => s.id),
    );
    const started = () => startsApplied(rowsOf(startedRows), starts);
    const skipped = new Set<EnqueueBatch>();
    const audited = new Map<AuditScope, number>();
    if (enqueues.length === 0 && reports.length === 0) {
      return () => ({ started: started(), finished: [], retries: [], accepted: [], claimed: [], skipped, audited });
    }
    // Round trip 1: the reported rows and the queue state of every connected node involved.
    const reported = selectRows(
      batch,
      conn,
      reports.map((r) => r.result.id),
    );
    const nodes = [
      ...new Set([...enqueues.flatMap((b) => b.rows.map((r) => r.node_id)), ...reports.map((r) => r.nodeId)]),
    ];
    const connected = nodes.filter((n) => this.links.isConnected(n));
    const stateRows = selectQueueStates(batch, conn, connected, at);
    const credentials = selectCredentials(
      batch,
      conn,
      reports.filter((r) => r.tokenHash !== null).map((r) => r.nodeId),
    );
    const claims = enqueues.flatMap((e) => (e.claim ? [e.claim] : []));
    const storedKeys = selectKeys(batch, conn, claims);
    // The audit chain's head, locked for the rest of the transaction (only when an enqueue is audited).
    const auditRead = this.audit ? queueAppend(batch, conn, this.audit.dialect, enqueues.flatMap(auditDraftOf)) : null;
    await batch.run();
    const applied = this.applyReports(rowsOf(reported), reports, at, reporterStands(rowsOf(credentials), at));
    const states = statesAfterReports(queueStatesOf(connected, stateRows), applied, at);
    const taken = takenClaims(claims, storedKeys, at);
    for (const e of enqueues) if (e.claim && taken.has(e.claim)) skipped.add(e);
    const fresh = enqueues.filter((e) => !skipped.has(e));
    const direct = this.dispatchDirectly(fresh, states, at);
    for (const { alsoInTransaction } of fresh) if (alsoInTransaction) await alsoInTransaction(conn);
    // Round trip 2: every write, and the claims of nodes with commands waiting. Keys go first, so a
    // key committed meanwhile by another master fails the transaction before anything else is written.
    writeKeys(
      batch,
      conn,
      fresh.flatMap((e) => (e.claim ? [{ claim: e.claim, rows: e.rows }] : [])),
      at,
    );
    if (this.audit && auditRead) {
      const drafts = fresh.flatMap(auditDraftOf);
      const seqs = writeAppend(batch, conn, auditRead, drafts, at, this.audit.instanceId);
      const scopes = fresh.flatMap((e) => (e.audit ? [e.audit] : []));
      for (const [i, scope] of scopes.entries()) audited.set(scope, seqs[i] as number);
    }
    markFinished(batch, conn, applied.finished);
    insertCommands(batch, conn, [
      ...applied.retries.map((row) => ({ row, availableAt: retryAvailableAt(row), leaseUntil: null })),
      ...fresh.flatMap((b) => this.insertedRows(b, direct)),
    ]);
    const claimed = await this.claimIn(batch, conn, connected, states, at);
    return () => ({
      ...applied,
      started: started(),
      claimed: byId([...direct.values(), ...claimed()]),
      skipped,
      audited,
    });
  }

  /**
   * New commands of a connected node with nothing ready ahead of them are inserted already
   * dispatched (up to its window), which saves the claim's select and updates on the hot path.
   * Returns the dispatched rows by id; `states` is updated to include them.
   */
  private dispatchDirectly(
    enqueues: EnqueueBatch[],
    states: Map<string, NodeQueueState>,
    at: number,
  ): Map<string, CommandsTable> {
    const direct = new Map<string, CommandsTable>();
    for (const { rows, commands } of enqueues) {
      rows.forEach((row, i) => {
        const state = states.get(row.node_id);
        if (!state || commands[i]?.available === false) return;
        if (state.ready > 0 || state.active >= this.options.windowPerNode) {
          state.ready++;
          return;
        }
        state.active++;
        direct.set(row.id, { ...row, status: 'dispatched', dispatched_at: at });
      });
    }
    return direct;
  }

  private insertedRows({ rows, commands }: EnqueueBatch, direct: ReadonlyMap<string, CommandsTable>) {
    return rows.map((pending, i) => {
      const row = direct.get(pending.id) ?? pending;
      return {
        row,
        availableAt: commands[i]?.available === false ? null : row.created_at,
        leaseUntil: row.dispatched_at === null ? null : Number(row.dispatched_at) + this.options.leaseGraceMs,
      };
    });
  }

  private sendClaimed(claimed: CommandsTable[]): void {
    for (const row of claimed) {
      this.emitStatus(row, 'dispatched', Number(row.dispatched_at));
      this.delivered.add(row.node_id, row.id);
      this.links.send(row.node_id, this.commandMessage(row));
    }
    // A node that filled its whole window may have more waiting.
    for (const [nodeId, count] of countBy(claimed, (r) => r.node_id)) {
      if (count >= this.options.windowPerNode) this.kick(nodeId);
    }
  }

  /**
   * Makes held commands of a task run available (its concurrency allows more); with `deadlineAt`, their
   * deadline starts now (a held command's clock does not run while it waits its turn).
   */
  async release(commandIds: string[], deadlineAt: number | null = null): Promise<void> {
    if (commandIds.length === 0) return;
    await this.db
      .updateTable('command_inflight')
      .set({ available_at: this.now(), ...(deadlineAt === null ? {} : { deadline_at: deadlineAt }) })
      .where('command_id', 'in', commandIds)
      .where('available_at', 'is', null)
      .execute();
    if (deadlineAt !== null) {
      await this.db.updateTable('commands').set({ deadline_at: deadlineAt }).where('id', 'in', commandIds).execute();
    }
    const nodes = await this.db
      .selectFrom('command_inflight')
      .select('node_id')
      .distinct()
      .where('command_id', 'in', commandIds)
      .execute();
    for (const { node_id } of nodes) this.kick(node_id);
  }

  async get(id: string): Promise<CommandsTable> {
    const row = await this.db.selectFrom('commands').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('command', id);
    return row;
  }

  async cancel(id: string): Promise<CommandsTable> {
    const row = await this.get(id);
    if (row.status === 'pending' || (row.status === 'dispatched' && !this.links.isConnected(row.node_id))) {
      const done = await this.finishUnreported([{ id, status: 'cancelled', error: 'cancelled before it started' }]);
      if (done.length > 0) return this.get(id);
    }
    const current = await this.get(id);
    if (current.status !== 'dispatched' && current.status !== 'running') {
      throw new FleetError(
        'conflict',
        `Command ${id} is already ${current.status}; only unfinished commands can be cancelled.`,
      );
    }
    await this.db.updateTable('commands').set({ cancel_requested_at: this.now() }).where('id', '=', id).execute();
    this.links.send(current.node_id, { type: 'cancel', id });
    return this.get(id);
  }

  /**
   * Every unfinished command of a node ends `cancelled` with this reason (a revoked node will never
   * run or report them). Its connection is already closed, so nothing is sent.
   */
  async cancelNodeCommands(nodeId: string, reason: string): Promise<number> {
    const rows = await this.db
      .selectFrom('command_inflight')
      .select('command_id')
      .where('node_id', '=', nodeId)
      .orderBy('command_id')
      .execute();
    const ends = rows.map((row) => ({ id: row.command_id, status: 'cancelled' as const, error: reason }));
    return (await this.finishUnreported(ends)).length;
  }

  /** Unfinished commands on a node (blocks deleting it). */
  async activeCount(nodeId: string): Promise<number> {
    const row = await this.db
      .selectFrom('command_inflight')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('node_id', '=', nodeId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Unfinished commands across the fleet. */
  async totalActive(): Promise<number> {
    const row = await this.db
      .selectFrom('command_inflight')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Called after a node's hello: redeliver what it may have missed, then dispatch what waits. */
  async nodeConnected(nodeId: string, runningOnAgent: string[]): Promise<void> {
    const inflight = await this.db
      .selectFrom('command_inflight')
      .innerJoin('commands', 'commands.id', 'command_inflight.command_id')
      .selectAll('commands')
      .where('command_inflight.node_id', '=', nodeId)
      .where('command_inflight.status', 'in', ['dispatched', 'running'])
      .orderBy('commands.id')
      .execute();
    await this.renewLeases([nodeId]);
    const alreadyRunning = new Set(runningOnAgent);
    for (const row of inflight) {
      this.delivered.add(nodeId, row.id);
      if (row.cancel_requested_at !== null) this.links.send(nodeId, { type: 'cancel', id: row.id });
      else if (!alreadyRunning.has(row.id)) this.links.send(nodeId, this.commandMessage(row));
    }
    this.kick(nodeId);
  }

  /** The node's connection closed: what it was handed is no longer its to speak for here. */
  nodeDisconnected(nodeId: string): void {
    this.delivered.nodeGone(nodeId);
  }

  kick(nodeId: string): void {
    this.kicked.add(nodeId);
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    // Claims serve every operation that queued commands: they never carry one operation's audit entry.
    setImmediate(() =>
      withoutWriteHook(() => {
        this.kickScheduled = false;
        this.dispatchKicked().catch((err) => this.log.error({ err }, 'dispatch failed'));
      }),
    );
  }

  // ---- messages from agents -------------------------------------------------------------

  async started(nodeId: string, id: string, reportedAt: number): Promise<void> {
    const at = plausibleTime(reportedAt, this.now(), this.log, { id, nodeId, field: 'at' });
    const stored = this.durably(`the start of ${id}`, () => this.startWrites.push({ kind: 'started', nodeId, id, at }));
    if (this.startWrites === this.writes) return void (await stored);
    this.startsInFlight.set(id, stored);
    try {
      await stored;
    } finally {
      if (this.startsInFlight.get(id) === stored) this.startsInFlight.delete(id);
    }
  }

  /** Agent reports wait out a database outage (retried with backoff) instead of being dropped. */
  private durably<T>(what: string, write: () => Promise<T>): Promise<T> {
    return retryWithBackoff(write, {
      // A report the database refuses for its values fails the same way every time: logged, not retried.
      keepTrying: (err) => !this.stopping && !isDataError(err),
      onRetry: (err, attempt, delayMs) => {
        if (attempt === 1 || attempt % 10 === 0)
          this.log.warn({ err, attempt, delayMs }, `could not record ${what}; retrying`);
      },
    });
  }

  /** Live output, re-emitted only for a command this instance delivered to that very node. */
  output(nodeId: string, id: string, stream: 'stdout' | 'stderr', data: string): void {
    if (!this.delivered.has(nodeId, id)) {
      this.foreignOutputFrames++;
      return;
    }
    this.bus.emit('commandOutput', { id, nodeId, stream, data });
  }

  /**
   * Commits the result, then acknowledges it so the agent stops re-sending it. A result is accepted
   * only while the token its connection used still stands (checked in the commit's transaction), so
   * an agent revoked on another instance cannot finish a command before that instance notices.
   */
  async result(nodeId: string, reported: CommandResult, tokenHash: string | null = null): Promise<void> {
    const result = withPlausibleTimes(reported, nodeId, this.now(), this.log);
    await this.startsInFlight.get(result.id)?.catch(() => undefined);
    const accepted = await this.durably(`the result of ${result.id}`, () =>
      this.writes.push({ kind: 'result', nodeId, result, tokenHash }),
    );
    if (accepted) this.links.send(nodeId, { type: 'ack', id: result.id });
  }

  // ---- internals -------------------------------------------------------------------------

  private newRow(
    c: NewCommand,
    at: number,
    attempt: number,
    retryOf: string | null,
    batchId: string | null,
  ): CommandsTable {
    return {
      id: orderedId('cmd', at),
      node_id: c.nodeId,
      task_run_id: c.taskRunId ?? null,
      retry_of: retryOf,
      kind: 'exec',
      payload: JSON.stringify(c.exec),
      status: 'pending',
      attempt,
      max_attempts: c.retry?.maxAttempts ?? 1,
      retry_delay_ms: Math.round((c.retry?.delaySec ?? 0) * 1000),
      timeout_ms: c.timeoutMs,
      output_limit: c.outputLimit,
      deadline_at: c.deadlineAt,
      cancel_requested_at: null,
      created_at: at,
      dispatched_at: null,
      started_at: null,
      finished_at: null,
      exit_code: null,
      signal: null,
      stdout: null,
      stderr: null,
      truncated: 0,
      error: null,
      origin: c.origin ?? ADMIN_ORIGIN,
      batch_id: batchId,
      command_text: commandTextOf(c.exec).slice(0, COMMAND_TEXT_CHARS),
      launched_by: (c.launchedBy ?? currentAuditCaller()?.name ?? 'system').slice(0, 200),
    };
  }

  private commandMessage(row: CommandsTable): CommandMessage {
    return {
      type: 'command',
      id: row.id,
      kind: 'exec',
      payload: JSON.parse(row.payload) as ExecPayload,
      timeoutMs: row.timeout_ms,
      outputLimit: row.output_limit,
    };
  }

  /**
   * Claims the next pending commands of every kicked node in one transaction and sends them in
   * order. One round runs at a time; nodes kicked meanwhile wait for the next round.
   */
  private async dispatchKicked(): Promise<void> {
    if (this.dispatchRunning) return;
    this.dispatchRunning = true;
    try {
      while (this.kicked.size > 0) {
        const nodes = [...this.kicked].filter((n) => this.links.isConnected(n));
        this.kicked.clear();
        if (nodes.length === 0) break;
        const claimed = await retryOnConflict(() =>
          batchedTransaction(this.db, async (batch, conn) => {
            const at = this.now();
            const stateRows = selectQueueStates(batch, conn, nodes, at);
            await batch.run();
            return this.claimIn(batch, conn, nodes, queueStatesOf(nodes, stateRows), at);
          }),
        );
        this.sendClaimed(byId(claimed));
      }
    } finally {
      this.dispatchRunning = false;
    }
  }

  /**
   * Claims, per node, the oldest ready commands that fit its window: the selects go with the current
   * round trip (a node with nothing ready costs none), the updates with the next. Returns how to
   * read the claimed rows once that ran.
   */
  private async claimIn(
    batch: StatementBatch,
    conn: Db,
    nodeIds: string[],
    states: Map<string, NodeQueueState>,
    at: number,
  ): Promise<() => CommandsTable[]> {
    const selects = nodeIds.flatMap((nodeId) => {
      const state = states.get(nodeId);
      const room = this.options.windowPerNode - (state?.active ?? 0);
      if (!state || state.ready === 0 || room <= 0) return [];
      return [selectClaimable(batch, conn, nodeId, room, at, this.options.instanceId !== null)];
    });
    if (selects.length === 0) return () => [];
    await batch.run();
    const ids = rowsOf(selects).map((r) => r.command_id);
    const claimed = markDispatched(batch, conn, ids, at, at + this.options.leaseGraceMs);
    return () => rowsOf(claimed);
  }

  /** Results from agents applied to the rows in memory; markFinished writes them. */
  private applyReports(current: CommandsTable[], items: Report[], at: number, stands: (report: Report) => boolean) {
    const rows = new Map(current.map((r) => [r.id, r]));
    const finished: CommandsTable[] = [];
    const retries: CommandsTable[] = [];
    const accepted: boolean[] = [];
    for (const report of items) {
      const { nodeId, result } = report;
      const row = rows.get(result.id);
      // Never act on, or acknowledge, what is not this agent's command to report.
      if (!row || row.node_id !== nodeId) {
        accepted.push(false);
        continue;
      }
      // Nor a report sent on a token revoked or rotated out meanwhile (perhaps on another instance).
      if (!stands(report)) {
        this.resultsFromRetiredTokens++;
        this.log.warn({ nodeId, commandId: result.id }, 'result refused: the connection token no longer stands');
        accepted.push(false);
        continue;
      }
      accepted.push(true);
      if (row.status !== 'dispatched' && row.status !== 'running') continue; // a duplicate: ack again
      const done = finishedRow(row, result);
      rows.set(result.id, done);
      finished.push(done);
      const retry = this.retryOf(done, at);
      if (retry) retries.push(retry);
    }
    return { finished, retries, accepted };
  }

  private retryOf(row: CommandsTable, at: number): CommandsTable | null {
    const retryable = row.status === 'failed' || row.status === 'timed_out' || row.status === 'lost';
    if (!retryable || row.attempt >= row.max_attempts || row.cancel_requested_at !== null) return null;
    const retry = this.newRow(
      {
        nodeId: row.node_id,
        exec: JSON.parse(row.payload) as ExecPayload,
        timeoutMs: row.timeout_ms,
        outputLimit: row.output_limit,
        deadlineAt: null,
        retry: { maxAttempts: row.max_attempts, delaySec: row.retry_delay_ms / 1000 },
        taskRunId: row.task_run_id,
        ...(row.origin === null ? {} : { origin: row.origin }),
        ...(row.launched_by === null ? {} : { launchedBy: row.launched_by }),
      },
      at,
      row.attempt + 1,
      row.id,
      row.batch_id,
    );
    return retry;
  }

  private afterTerminal(finished: CommandsTable[], retries: CommandsTable[]): void {
    for (const row of finished) {
      this.delivered.finished(row.node_id, row.id);
      this.emitStatus(row, row.status, Number(row.finished_at));
    }
    for (const row of retries) this.emitStatus(row, 'pending', Number(row.created_at));
    const rowsForListeners = finished.filter((f) => !retries.some((r) => r.retry_of === f.id));
    if (rowsForListeners.length > 0) for (const listener of this.terminalListeners) listener(rowsForListeners);
  }

  /**
   * Ends unfinished commands without an agent report (cancel, expire, lose), all in one transaction:
   * the rows are read (locked on a database server) with the first round trip, and only those whose
   * state allows the move (`predecessorsOf`) are updated, leave the hot set and get their retry, with
   * the COMMIT. Returns the rows that moved.
   */
  async finishUnreported(finishes: UnreportedFinish[]): Promise<CommandsTable[]> {
    if (finishes.length === 0) return [];
    const wanted = new Map(finishes.map((f) => [f.id, f]));
    const { done, retries } = await retryOnConflict(() =>
      batchedTransaction(this.db, async (batch, conn) => {
        const at = this.now();
        const read = selectRows(batch, conn, [...wanted.keys()], isServerDatabase(this.db));
        await batch.run();
        const done = rowsOf(read).flatMap((row) => {
          const end = wanted.get(row.id);
          if (!end || !predecessorsOf(end.status).includes(row.status)) return [];
          return [{ ...row, status: end.status, finished_at: at, error: end.error }];
        });
        const retries = done.flatMap((row) => this.retryOf(row, at) ?? []);
        markEnded(batch, conn, done);
        insertCommands(
          batch,
          conn,
          retries.map((row) => ({ row, availableAt: retryAvailableAt(row), leaseUntil: null })),
        );
        return () => ({ done, retries });
      }),
    );
    this.afterTerminal(done, retries);
    for (const nodeId of new Set(done.map((r) => r.node_id))) this.kick(nodeId);
    return done;
  }

  /** Connected nodes hold their commands' leases; they start running out when a node goes away. */
  async renewLeases(nodeIds: string[]): Promise<void> {
    const lease = this.now() + this.options.leaseGraceMs;
    for (let i = 0; i < nodeIds.length; i += 500) {
      await this.db
        .updateTable('command_inflight')
        .set({ lease_until: lease })
        .where('node_id', 'in', nodeIds.slice(i, i + 500))
        .where('status', 'in', ['dispatched', 'running'])
        .where('lease_until', '<', lease)
        .execute();
    }
  }

  private emitStatus(row: CommandsTable, status: CommandStatus, at: number): void {
    this.bus.emit('commandStatus', {
      id: row.id,
      nodeId: row.node_id,
      status,
      at,
      taskRunId: row.task_run_id,
      exitCode: row.exit_code,
    });
  }
}

/** The rows a batch of starts moved to running (a duplicate or foreign start moves none). */
function startsApplied(rows: CommandsTable[], starts: StartReport[]): CommandsTable[] {
  const reported = new Map(starts.map((s) => [s.id, s]));
  return rows.filter((row) => {
    const start = reported.get(row.id);
    return row.status === 'running' && row.node_id === start?.nodeId && Number(row.started_at) === start.at;
  });
}

/** Node states read before the reports' writes, brought up to date with them. */
function statesAfterReports(
  states: Map<string, NodeQueueState>,
  applied: { finished: CommandsTable[]; retries: CommandsTable[] },
  at: number,
): Map<string, NodeQueueState> {
  for (const row of applied.finished) {
    const state = states.get(row.node_id);
    if (state) state.active--;
  }
  for (const retry of applied.retries) {
    const state = states.get(retry.node_id);
    if (state && retryAvailableAt(retry) <= at) state.ready++;
  }
  return states;
}

/** A retry waits its delay, doubled for every attempt after the second. */
function retryAvailableAt(retry: CommandsTable): number {
  return Number(retry.created_at) + retry.retry_delay_ms * 2 ** (retry.attempt - 2);
}

/** A row's result applied: the terminal row as it is stored (output bounded by the row's limit). */
function finishedRow(row: CommandsTable, result: CommandResult): CommandsTable {
  return {
    ...row,
    status: result.outcome === 'interrupted' ? 'lost' : result.outcome,
    started_at: row.started_at ?? result.startedAt,
    finished_at: result.finishedAt,
    exit_code: result.exitCode,
    signal: result.signal,
    stdout: result.stdout.slice(0, row.output_limit + 256),
    stderr: result.stderr.slice(0, row.output_limit + 256),
    truncated: result.truncated ? 1 : 0,
    error: result.error,
  };
}

/** Ids are time-ordered lowercase text: sorting by id is the order claims use, per node. */
function byId(rows: CommandsTable[]): CommandsTable[] {
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function countBy<T>(items: T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function reporterStands(rows: CredentialRow[], at: number): (report: Report) => boolean {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ({ nodeId, tokenHash }) => tokenHash === null || tokenStanding(byId.get(nodeId), tokenHash, at).valid;
}
