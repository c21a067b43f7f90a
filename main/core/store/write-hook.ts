// Work that joins the first write transaction of an operation, whichever part opens it, and runs
// just before that transaction's COMMIT. The audit log uses it (audit/audit-log.ts): an operation's
// entry is appended inside the transaction that stores its change, so the two commit or roll back
// together, without every part passing the entry along. It sits in the driver, the one place every
// transaction and statement of the store goes through: `db.transaction()`, a batched transaction's raw
// BEGIN/COMMIT (statement-batch.ts; a multi-statement text that ends in COMMIT runs without it, then
// the work, then the COMMIT), or a lone write outside any transaction (then wrapped in one here:
// BEGIN, the write, the work, COMMIT).
//
// Commit time, not first-write time: what the transaction created is known by then (audit/context.ts
// `noteAuditTargets`: the node a createNode made), and the chain head, which the work locks, is held
// only for the last statements of the transaction.
//
// Batched writers that carry their items' entries themselves (the queue's group commit) and work that
// serves every operation (the queue's claims) run with `withoutWriteHook`, so a batch of many
// operations never takes the entry of whichever one happened to start it.
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

export type RunStatement = (query: CompiledQuery) => Promise<QueryResult<unknown>>;

export interface WriteHook {
  /** True once: this transaction is the one that carries the hook's work (false once the hook closed). */
  claim(): boolean;
  /**
   * Runs inside the claiming transaction before its first write, if given: takes the locks the work
   * will need, so they are taken in the order every other writer takes them (the audit chain's head
   * on a database server: audit-log.ts says why).
   */
  lock?(run: RunStatement): Promise<void>;
  /** Runs inside the claiming transaction, just before its COMMIT. */
  write(run: RunStatement): Promise<void>;
  /** The transaction committed (the hook's work with it). */
  committed(): void;
  /** The transaction rolled back (the hook's work with it): a later transaction may claim it. */
  rolledBack(): void;
}

const storage = new AsyncLocalStorage<WriteHook | null>();

export function runWithWriteHook<T>(hook: WriteHook, run: () => Promise<T>): Promise<T> {
  return storage.run(hook, run);
}

/** Runs `run` outside any operation's hook (a batch of several operations' writes, shared work). */
export function withoutWriteHook<T>(run: () => T): T {
  return storage.run(null, run);
}

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);
/** A statement that changes rows, at the start of the text or of any statement after `;` and a newline. */
const WRITE_SQL_ANYWHERE = /(?:^|;\s*\n)\s*(?:insert|update|delete|replace|merge)\b/i;
const OPENS = /^\s*begin;\s*\n/i;
const ENDS_WITH_COMMIT = /;\s*\ncommit\s*$/i;

/** Whether a statement (or any statement of a multi-statement text) changes rows. */
function isWrite(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  if (WRITE_NODES.has(kind)) return true;
  if (kind !== 'RawNode') return false;
  // One scan, no copies: a statement batch's text runs to many kilobytes and passes here on every call.
  return WRITE_SQL_ANYWHERE.test(query.sql);
}

/** BEGIN, COMMIT, ROLLBACK or START TRANSACTION sent alone: only a short text can be one of them. */
function rawWord(query: CompiledQuery): string {
  if (query.query.kind !== 'RawNode' || query.sql.length > 32) return '';
  return query.sql.trim().toLowerCase();
}

interface ConnectionState {
  inTransaction: boolean;
  /** The hook whose work this transaction carries. */
  joined: WriteHook | null;
}

/** A connection that runs the current hook's work before the COMMIT of the first transaction writing. */
class HookedConnection implements DatabaseConnection {
  readonly state: ConnectionState = { inTransaction: false, joined: null };

  constructor(readonly inner: DatabaseConnection) {}

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }

  private readonly run: RunStatement = (q) => this.inner.executeQuery(q);

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const word = rawWord(query);
    // A batched transaction's own BEGIN, COMMIT, ROLLBACK sent alone.
    if (word === 'begin' || word === 'start transaction') {
      const result = await this.inner.executeQuery<R>(query);
      this.began();
      return result;
    }
    if (word === 'commit') return this.commit(() => this.inner.executeQuery<R>(query));
    if (word === 'rollback') return this.ending(query);
    const raw = query.query.kind === 'RawNode';
    // A multi-statement text that opens the transaction (BEGIN leading the batch's first round trip).
    const opens = raw && OPENS.test(query.sql);
    if (opens) this.began();
    let claimed: WriteHook | null = null;
    if (isWrite(query)) {
      const hook = this.state.joined === null ? storage.getStore() : null;
      if (hook && !this.state.inTransaction)
        return hook.claim() ? this.alone<R>(hook, query) : this.inner.executeQuery<R>(query);
      if (hook?.claim()) claimed = this.state.joined = hook;
    }
    const endsWithCommit = raw && this.state.inTransaction && ENDS_WITH_COMMIT.test(query.sql);
    const locking = claimed?.lock !== undefined;
    if (!locking && !(endsWithCommit && this.state.joined)) {
      const result = await this.inner.executeQuery<R>(query);
      if (endsWithCommit) this.ended(true);
      return result;
    }
    // The text is cut where the hook's work goes: BEGIN, the lock, the statements, the entry, COMMIT.
    let body = query.sql;
    const cutBegin = locking && opens;
    if (cutBegin) {
      await this.inner.executeQuery(CompiledQuery.raw('begin'));
      body = body.replace(OPENS, '');
    }
    if (locking) await claimed?.lock?.(this.run);
    if (endsWithCommit) body = body.replace(ENDS_WITH_COMMIT, '');
    const cut = cutBegin || endsWithCommit;
    const result = await this.inner.executeQuery<R>(cut ? CompiledQuery.raw(body, [...query.parameters]) : query);
    if (endsWithCommit) await this.commit(() => this.inner.executeQuery(CompiledQuery.raw('commit')));
    if (!cut) return result;
    // Answered as the text sent would have been: one entry per statement, BEGIN's and COMMIT's OK packets.
    const single = body.split(/;\s*\n/).length === 1;
    const perStatement = single ? [result.rows] : [...(result.rows as unknown[])];
    return { ...result, rows: [...(cutBegin ? [{}] : []), ...perStatement, ...(endsWithCommit ? [{}] : [])] as R[] };
  }

  /** The joined hook's work, then COMMIT. A failure leaves the transaction open: the caller rolls back. */
  private async commit<T>(send: () => Promise<T>): Promise<T> {
    const joined = this.state.joined;
    if (joined) await joined.write(this.run);
    const result = await send();
    this.ended(true);
    return result;
  }

  /** A lone write of an operation: it and the hook's work in a transaction of their own. */
  private async alone<R>(hook: WriteHook, query: CompiledQuery): Promise<QueryResult<R>> {
    await this.inner.executeQuery(CompiledQuery.raw('begin'));
    try {
      await hook.lock?.(this.run);
      const result = await this.inner.executeQuery<R>(query);
      await hook.write(this.run);
      await this.inner.executeQuery(CompiledQuery.raw('commit'));
      hook.committed();
      return result;
    } catch (error) {
      await this.inner.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
      hook.rolledBack();
      throw error;
    }
  }

  private async ending<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } finally {
      this.ended(false);
    }
  }

  began(): void {
    this.state.inTransaction = true;
    this.state.joined = null;
  }

  ended(committed: boolean): void {
    const joined = this.state.joined;
    this.state.inTransaction = false;
    this.state.joined = null;
    if (committed) joined?.committed();
    else joined?.rolledBack();
  }
}

class HookedDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new HookedConnection(await this.inner.acquireConnection());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const hooked = connection as HookedConnection;
    await this.inner.beginTransaction(hooked.inner, settings);
    hooked.began();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const hooked = connection as HookedConnection;
    // The hook's work first; if it or the COMMIT fails, kysely rolls back (rollbackTransaction).
    const joined = hooked.state.joined;
    if (joined) await joined.write((q) => hooked.inner.executeQuery(q));
    await this.inner.commitTransaction(hooked.inner);
    hooked.ended(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const hooked = connection as HookedConnection;
    try {
      await this.inner.rollbackTransaction(hooked.inner);
    } finally {
      hooked.ended(false);
    }
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    const hooked = connection as HookedConnection;
    // A connection handed back mid-transaction (an error path) never carries the hook further.
    if (hooked.state.inTransaction) hooked.ended(false);
    return this.inner.releaseConnection(hooked.inner);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** The dialect with every connection hooked (store/sqlite.ts and store/mariadb.ts open theirs so). */
export function withWriteHooks(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new HookedDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
