// Several statements in one round trip. On MariaDB every round trip costs the master and the server
// a wake-up each way, so the queue's hot transactions send their statements as one multi-statement
// query (every value is still a parameter escaped by mysql2); SQLite runs in-process and simply
// runs them in turn. A failed statement stops the ones after it; the caller rolls back.
import { type Compilable, CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema.js';

type AnyDb = Kysely<Database>;

const serverDatabases = new WeakSet<AnyDb>();

/**
 * Called by the store for a database server (MariaDB): several connections write at once, and a
 * connection accepts multi-statement queries.
 */
export function markServerDatabase(db: AnyDb): void {
  serverDatabases.add(db);
}

export function isServerDatabase(db: AnyDb): boolean {
  return serverDatabases.has(db);
}

/** What one statement of a batch returned; read it after the batch ran. */
export class StatementResult<O> {
  private value: O[] | null = null;

  get rows(): O[] {
    if (this.value === null) throw new Error('the statement batch has not run yet');
    return this.value;
  }

  /** @internal */
  settle(rows: O[]): void {
    this.value = rows;
  }
}

type Queued = { query: CompiledQuery; result: StatementResult<unknown> };

export class StatementBatch {
  private queued: Queued[] = [];

  /** `root`: the database as opened (says whether it takes multi-statements); `conn`: one connection of it. */
  constructor(
    root: AnyDb,
    private readonly conn: AnyDb,
    private readonly multi = isServerDatabase(root),
  ) {}

  add<O>(query: Compilable<O> | CompiledQuery<O>): StatementResult<O> {
    const result = new StatementResult<O>();
    const compiled = 'compile' in query ? query.compile() : query;
    this.queued.push({ query: compiled, result: result as StatementResult<unknown> });
    return result;
  }

  /** Sends what was added since the last run. */
  async run(): Promise<void> {
    const queued = this.queued;
    this.queued = [];
    if (queued.length === 0) return;
    if (!this.multi || queued.length === 1) {
      for (const { query, result } of queued) result.settle((await this.conn.executeQuery(query)).rows);
      return;
    }
    const joined = CompiledQuery.raw(
      queued.map((q) => q.query.sql).join(';\n'),
      queued.flatMap((q) => [...q.query.parameters]),
    );
    // mysql2 answers a multi-statement query with one entry per statement: rows, or an OK packet.
    const perStatement = (await this.conn.executeQuery(joined)).rows as unknown[];
    queued.forEach(({ result }, i) => {
      const answer = perStatement[i];
      result.settle(Array.isArray(answer) ? answer : []);
    });
  }
}

/**
 * One transaction on one connection of `db`, its statements batched: BEGIN goes out with the first
 * run and COMMIT with the last. `work` may leave statements queued; it returns how to read the
 * outcome once they ran and the transaction committed. Any error rolls the transaction back.
 */
export function batchedTransaction<T>(
  db: AnyDb,
  work: (batch: StatementBatch, conn: AnyDb) => Promise<() => T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    const batch = new StatementBatch(db, conn);
    batch.add(CompiledQuery.raw('begin'));
    try {
      const outcome = await work(batch, conn);
      batch.add(CompiledQuery.raw('commit'));
      await batch.run();
      return outcome();
    } catch (error) {
      await conn.executeQuery(CompiledQuery.raw('rollback')).catch(() => undefined);
      throw error;
    }
  });
}
