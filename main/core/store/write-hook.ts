// Work that joins the first write transaction of an operation, whichever part opens it. The audit
// log uses it (audit/audit-log.ts): an operation's entry is appended inside the transaction that
// stores its change, so the two commit or roll back together, without every part passing the entry
// along. It sits in the driver, the one place every transaction and statement of the store goes
// through: `db.transaction()`, a batched transaction's raw BEGIN/COMMIT (statement-batch.ts), or a
// lone write outside any transaction (then wrapped in one here).
//
// Batched writers that carry their items' entries themselves (the queue's group commit) run with
// `withoutWriteHook`, so a batch of many operations never takes the entry of whichever one
// happened to start it.
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
  /** True once: this transaction is the one that carries the hook's work. */
  claim(): boolean;
  /** Runs inside the transaction, before its first write. */
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

/** Runs `run` outside any operation's hook (a batch of several operations' writes). */
export function withoutWriteHook<T>(run: () => T): T {
  return storage.run(null, run);
}

const WRITE_NODES = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);
const WRITE_SQL = /^\s*(insert|update|delete|replace|merge)\b/i;

/** Whether a statement (or any statement of a multi-statement text) changes rows. */
function isWrite(query: CompiledQuery): boolean {
  const kind = query.query.kind;
  if (WRITE_NODES.has(kind)) return true;
  if (kind !== 'RawNode') return false;
  return query.sql.split(/;\s*\n/).some((statement) => WRITE_SQL.test(statement));
}

function rawWord(query: CompiledQuery): string {
  return query.query.kind === 'RawNode' ? query.sql.trim().toLowerCase() : '';
}

interface ConnectionState {
  inTransaction: boolean;
  /** The hook whose work this transaction carries. */
  joined: WriteHook | null;
}

/** A connection that runs the current hook before the first write of each transaction. */
class HookedConnection implements DatabaseConnection {
  readonly state: ConnectionState = { inTransaction: false, joined: null };

  constructor(readonly inner: DatabaseConnection) {}

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const word = rawWord(query);
    // A batched transaction's own BEGIN, COMMIT, ROLLBACK (alone or leading/ending a multi-statement text).
    if (word === 'begin' || word === 'start transaction') this.began();
    if (word === 'commit') return this.ending(query, true);
    if (word === 'rollback') return this.ending(query, false);
    const hook = isWrite(query) && this.state.joined === null ? storage.getStore() : null;
    if (!hook || !hook.claim()) return this.runBatched<R>(query);
    if (!this.state.inTransaction) return this.alone<R>(hook, query);
    this.state.joined = hook;
    const run: RunStatement = (q) => this.inner.executeQuery(q);
    if (/^begin;\s*\n/i.test(query.sql)) {
      // A batch that opens its transaction and writes in one text: BEGIN first, the hook, then the rest.
      await this.inner.executeQuery(CompiledQuery.raw('begin'));
      await hook.write(run);
      return this.runBatched<R>(CompiledQuery.raw(query.sql.replace(/^begin;\s*\n/i, ''), [...query.parameters]));
    }
    await hook.write(run);
    return this.runBatched<R>(query);
  }

  /** Runs a statement; a multi-statement text that ends with COMMIT ends the transaction. */
  private async runBatched<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (query.query.kind === 'RawNode' && /^begin;\s*\n/i.test(query.sql)) this.began();
    const endsWithCommit = query.query.kind === 'RawNode' && /;\s*\ncommit\s*$/i.test(query.sql);
    const result = await this.inner.executeQuery<R>(query);
    if (endsWithCommit) this.ended(true);
    return result;
  }

  /** A lone write of an operation: it and the hook's work in a transaction of their own. */
  private async alone<R>(hook: WriteHook, query: CompiledQuery): Promise<QueryResult<R>> {
    await this.inner.executeQuery(CompiledQuery.raw('begin'));
    try {
      await hook.write((q) => this.inner.executeQuery(q));
      const result = await this.inner.executeQuery<R>(query);
      await this.inner.executeQuery(CompiledQuery.raw('commit'));
      hook.committed();
      return result;
    } catch (error) {
      await this.inner.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
      hook.rolledBack();
      throw error;
    }
  }

  private async ending<R>(query: CompiledQuery, commit: boolean): Promise<QueryResult<R>> {
    try {
      const result = await this.inner.executeQuery<R>(query);
      this.ended(commit);
      return result;
    } catch (error) {
      this.ended(false);
      throw error;
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
    try {
      await this.inner.commitTransaction(hooked.inner);
    } catch (error) {
      hooked.ended(false);
      throw error;
    }
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
