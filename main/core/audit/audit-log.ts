// The audit log: who did what, when, from where, with what outcome (docs/architecture.md, Audit log).
// Every operation of the contract goes through `wrap`, which records it as its rule says
// (operations.ts); sign-ins, file streams and terminal sockets call `record` themselves. Entries are
// chained by SHA-256 (entry.ts, chain.ts) and never updated; retention prunes from the oldest end.
import type { Caller } from '../../contract/caller.js';
import { contract, type Handlers, type OperationName } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';
import { type RunStatement, runWithWriteHook, type WriteHook, withoutWriteHook } from '../store/write-hook.js';
import { appendIn, appendThrough, type Dialect, lockHeadThrough } from './chain.js';
import { type AuditScope, notedDraft, runInAuditScope } from './context.js';
import type { AuditDraft, AuditOutcome, AuditTarget } from './entry.js';
import { AUDIT_RULES } from './operations.js';

/** An error's code for the log: the contract's code, else the driver's, else "internal". */
export function errorCodeOf(error: unknown): string {
  if (error instanceof FleetError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length <= 64 ? code : 'internal';
}

/** Node ids an operation's input names: `id` of a /api/nodes/:id route, `nodeId`, `nodeIds`, nested once. */
export function targetsOf(name: OperationName, input: unknown): AuditTarget[] {
  const ids = new Set<string>();
  const visit = (value: unknown, depth: number) => {
    if (typeof value !== 'object' || value === null || depth > 2) return;
    for (const [key, v] of Object.entries(value)) {
      if (key === 'nodeId' && typeof v === 'string') {
        ids.add(v);
      } else if (key === 'nodeIds' && Array.isArray(v)) {
        for (const id of v) if (typeof id === 'string') ids.add(id);
      } else if (typeof v === 'object') {
        visit(v, depth + 1);
      }
    }
  };
  if (contract[name].path.startsWith('/api/nodes/:id')) {
    const id = (input as { id?: unknown } | null)?.id;
    if (typeof id === 'string') ids.add(id);
  }
  visit(input, 0);
  return [...ids].map((id) => ({ id, name: null }));
}

/** What an operation's answer adds to its entry: the ids it created, the sizes it moved. */
function outputFacts(output: unknown): Record<string, unknown> {
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return {};
  const facts: Record<string, unknown> = {};
  for (const key of ['id', 'size', 'bytes', 'sessionId', 'runId', 'status'] as const) {
    const value = (output as Record<string, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'number') facts[`result.${key}`] = value;
  }
  return facts;
}

export interface AuditOptions {
  /** Entries older than this are pruned by the leader (default 400 days). */
  retentionDays: number;
}

export const DEFAULT_AUDIT_RETENTION_DAYS = 400;

export class AuditLog {
  constructor(
    readonly db: Db,
    readonly dialect: Dialect,
    readonly instanceId: string,
    private readonly log: Logger,
    readonly options: AuditOptions = { retentionDays: DEFAULT_AUDIT_RETENTION_DAYS },
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends entries in a transaction of their own (never one an operation's write hook claims); returns their seqs. */
  async record(drafts: AuditDraft[]): Promise<number[]> {
    if (drafts.length === 0) return [];
    return withoutWriteHook(() => this.db.transaction().execute((trx) => this.recordIn(trx, drafts)));
  }

  /** Appends entries inside the caller's transaction (the change and its entry commit together). */
  recordIn(trx: Db, drafts: AuditDraft[]): Promise<number[]> {
    return appendIn(trx, this.dialect, drafts, this.now(), this.instanceId);
  }

  /** One entry for something done outside the contract (sign-in, a file stream, a terminal socket). */
  async recordEvent(
    operation: string,
    caller: Caller,
    outcome: AuditOutcome,
    fields: {
      targets?: AuditTarget[];
      detail?: Record<string, unknown>;
      errorCode?: string | null;
      refSeq?: number | null;
    } = {},
  ): Promise<number> {
    const [seq] = await this.record([
      {
        operation,
        caller,
        targets: fields.targets ?? [],
        detail: fields.detail ?? {},
        outcome,
        errorCode: fields.errorCode ?? null,
        refSeq: fields.refSeq ?? null,
      },
    ]);
    return seq as number;
  }

  /** Every handler, recording its calls as `AUDIT_RULES` says. */
  wrap(handlers: Handlers): Handlers {
    const wrapped = { ...handlers } as Record<OperationName, (input: unknown, caller: Caller) => Promise<unknown>>;
    for (const name of Object.keys(handlers) as OperationName[]) {
      const rule = AUDIT_RULES[name];
      if (rule === 'none') continue;
      const handler = handlers[name] as (input: unknown, caller: Caller) => Promise<unknown>;
      wrapped[name] = (input, caller) => this.audited(name, rule, handler, input, caller);
    }
    return wrapped as Handlers;
  }

  /**
   * The operation's entry as work of its first write transaction (store/write-hook.ts), whichever
   * part opens it: appended just before that transaction's COMMIT, it commits or rolls back with it.
   * Closed when the handler returns, so work it left running (timers, queued dispatch) never carries
   * the entry into a later, unrelated transaction.
   *
   * On MariaDB the chain's head is locked before the transaction's first write (`lock`), though the
   * entry is written at its end: every other appender (the queue's group commit, retention) takes the
   * head before the rows it writes, and a transaction holding a node's row while it waits for the head
   * would deadlock with a group commit holding the head while its command insert waits for that row.
   */
  private entryHook(scope: AuditScope): WriteHook {
    let seq: number | null = null;
    return {
      claim: () => {
        if (scope.closed || scope.taken) return false;
        scope.taken = true;
        return true;
      },
      ...(this.dialect === 'mariadb'
        ? { lock: (runStatement: RunStatement) => lockHeadThrough(runStatement, this.db, this.dialect) }
        : {}),
      write: async (runStatement) => {
        // A transaction the handler did not wait for, committing after it returned: the wrapper wrote the entry.
        if (scope.closed) return;
        const seqs = await appendThrough(
          runStatement,
          this.db,
          this.dialect,
          [notedDraft(scope)],
          this.now(),
          this.instanceId,
        );
        seq = seqs[0] ?? null;
      },
      committed: () => {
        if (seq !== null) scope.committedSeq = seq;
        seq = null;
      },
      rolledBack: () => {
        scope.taken = false;
        seq = null;
      },
    };
  }

  private async audited(
    name: OperationName,
    rule: 'read' | 'attempt' | 'transaction',
    handler: (input: unknown, caller: Caller) => Promise<unknown>,
    input: unknown,
    caller: Caller,
  ): Promise<unknown> {
    const draft: AuditDraft = {
      operation: name,
      caller,
      targets: targetsOf(name, input),
      detail: { input },
      outcome: 'ok',
      errorCode: null,
      refSeq: null,
    };
    // Written before the change: a crash between the two leaves the attempt on record.
    const attemptSeq = rule === 'attempt' ? (await this.record([{ ...draft, outcome: 'attempt' }]))[0] : undefined;
    const scope: AuditScope = { caller, draft, taken: false, committedSeq: null };
    const run = () => runInAuditScope(scope, () => handler(input, caller));
    try {
      const output = await (rule === 'transaction' ? runWithWriteHook(this.entryHook(scope), run) : run());
      scope.closed = true;
      if (scope.committedSeq === null) {
        // Nothing written in a transaction of its own (an attempt, a read, a change that wrote nothing):
        // the outcome on its own. A failure to add it is logged, not thrown.
        const noted = notedDraft(scope);
        await this.record([
          {
            ...noted,
            detail: { ...noted.detail, ...outputFacts(output) },
            refSeq: attemptSeq ?? null,
          },
        ]).catch((err: unknown) =>
          this.log.error({ err, operation: name }, 'could not record an operation in the audit log'),
        );
      }
      return output;
    } catch (error) {
      scope.closed = true;
      const code = errorCodeOf(error);
      // The entry of a change that committed, then failed on (an RPC after the commit), stays; this adds the end.
      const refSeq = attemptSeq ?? scope.committedSeq ?? null;
      await this.record([{ ...draft, outcome: 'error', errorCode: code, refSeq }]).catch((err: unknown) =>
        this.log.error({ err, operation: name }, 'could not record a failed operation in the audit log'),
      );
      throw error;
    }
  }
}
