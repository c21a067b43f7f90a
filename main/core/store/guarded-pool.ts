// A mysql2 pool that never lets a caller wait forever. A database server that stops answering
// (stopped process, stalled network, full disk) leaves mysql2's sockets open and its queries waiting
// without end, so every route and job that touches the database would hang with it. Here waiting for
// a connection and every statement have a deadline; past it the caller gets `unavailable` (503) and
// the connection that did not answer is destroyed (its late answer can no longer be matched to a
// query, and the server rolls back whatever transaction it had open).
import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult, MysqlStream, MysqlStreamOptions } from 'kysely';
import type { Pool, PoolConnection } from 'mysql2';
import { FleetError } from '../../contract/errors.js';
import { databaseUnavailable } from './unavailable.js';

export interface PoolTimeouts {
  /** Longest wait for a pooled connection (including connecting a new one). */
  acquireMs: number;
  /** Longest wait for one statement's answer; 0 = none (migrations waiting on their lock). */
  statementMs: number;
}

type QueryCallback = (error: unknown, result: MysqlQueryResult) => void;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

function guardConnection(raw: PoolConnection, timeouts: PoolTimeouts): MysqlPoolConnection {
  type Streamable = { stream: <T>(options: MysqlStreamOptions) => MysqlStream<T> };
  function query(sql: string, parameters: unknown[]): Streamable;
  function query(sql: string, parameters: unknown[], callback: QueryCallback): void;
  function query(sql: string, parameters: unknown[], callback?: QueryCallback) {
    // Streaming queries (no callback) are not used by FleetDeck; they pass through unguarded.
    if (!callback) return raw.query(sql, parameters) as unknown as Streamable;
    const limit = timeouts.statementMs;
    let settled = false;
    const timer =
      limit > 0
        ? setTimeout(() => {
            settled = true;
            raw.destroy();
            const error = new FleetError(
              'unavailable',
              `The database did not answer a statement within ${seconds(limit)}.`,
            );
            callback(error, undefined as never);
          }, limit)
        : null;
    raw.query(sql, parameters, (error, result) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      callback(error ? (databaseUnavailable(error) ?? error) : null, result as MysqlQueryResult);
    });
  }
  return { query, release: () => raw.release() };
}

/** Wraps `pool` for Kysely's MysqlDialect; `timeouts` is read per call, so it can change later. */
export function guardedPool(pool: Pool, timeouts: PoolTimeouts): MysqlPool {
  const guarded = new WeakMap<PoolConnection, MysqlPoolConnection>();
  return {
    end: (callback) => pool.end(callback),
    getConnection(callback) {
      let settled = false;
      const limit = timeouts.acquireMs;
      const timer = setTimeout(() => {
        settled = true;
        callback(
          new FleetError(
            'unavailable',
            `No database connection within ${seconds(limit)}: the database is not answering.`,
          ),
          undefined as never,
        );
      }, limit);
      pool.getConnection((error, raw) => {
        if (settled) {
          // The caller gave up; a connection that arrives late goes back to the pool.
          raw?.release();
          return;
        }
        settled = true;
        clearTimeout(timer);
        if (error) {
          callback(databaseUnavailable(error) ?? error, undefined as never);
          return;
        }
        let connection = guarded.get(raw);
        if (!connection) {
          connection = guardConnection(raw, timeouts);
          guarded.set(raw, connection);
        }
        callback(null, connection);
      });
    },
  };
}
