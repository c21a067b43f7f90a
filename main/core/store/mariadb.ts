// Opens a shared MariaDB (or MySQL) database over a mysql2 pool, READ COMMITTED, UTC.
// URL: mysql://user@host:port/db (the password from FLEETDECK_DB_PASSWORD or --db-password-file)[?ssl=true|ssl-ca=/path/ca.pem&ssl-verify=false&pool=10
//   &acquire-timeout-sec=5&statement-timeout-sec=5]
import { readFileSync } from 'node:fs';
import { Kysely, MysqlDialect } from 'kysely';
import { createPool, type Pool, type PoolOptions } from 'mysql2';
import { FleetError } from '../../contract/errors.js';
import { guardedPool, type PoolTimeouts } from './guarded-pool.js';
import type { Database } from './schema.js';
import { markServerDatabase } from './statement-batch.js';
import { withWriteHooks } from './write-hook.js';

export interface MariadbHandle {
  db: Kysely<Database>;
  pool: Pool;
  /** The URL with the password hidden, for logs and errors. */
  display: string;
  /** Deadlines of every connection wait and statement; callers may lift the statement one (migrations). */
  timeouts: PoolTimeouts;
}

/** Past these a caller gets `unavailable` (503) instead of waiting on a database that stopped answering. */
export const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = { acquireMs: 5_000, statementMs: 5_000 };

/** `name` from the URL in seconds (0.1–3600), or the default; a malformed value is refused. */
function secondsParam(params: URLSearchParams, name: string, defaultMs: number): number {
  const raw = params.get(name);
  if (raw === null) return defaultMs;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0.1 || value > 3600) {
    throw new FleetError('bad_request', `The database URL's ${name} must be seconds from 0.1 to 3600 (got "${raw}").`);
  }
  return Math.round(value * 1000);
}

export function poolTimeouts(raw: string): PoolTimeouts {
  const params = new URL(raw.replace(/^mariadb:/, 'mysql:')).searchParams;
  return {
    acquireMs: secondsParam(params, 'acquire-timeout-sec', DEFAULT_POOL_TIMEOUTS.acquireMs),
    statementMs: secondsParam(params, 'statement-timeout-sec', DEFAULT_POOL_TIMEOUTS.statementMs),
  };
}

export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

function sslOptions(params: URLSearchParams): PoolOptions['ssl'] {
  const ca = params.get('ssl-ca');
  const enabled = params.get('ssl') === 'true' || ca !== null;
  if (!enabled) return undefined;
  return {
    ...(ca ? { ca: readFileSync(ca, 'utf8') } : {}),
    rejectUnauthorized: params.get('ssl-verify') !== 'false',
  };
}

/** `password` (from the environment or a file) wins over one in the URL. */
export function poolOptions(raw: string, password?: string): PoolOptions {
  let url: URL;
  try {
    url = new URL(raw.replace(/^mariadb:/, 'mysql:'));
  } catch {
    throw new FleetError('bad_request', 'The database URL is malformed: use mysql://user:password@host:3306/database.');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) {
    throw new FleetError(
      'bad_request',
      `The database URL ${redactUrl(url)} names no database: add /<database> after the host.`,
    );
  }
  const connectionLimit = Number(url.searchParams.get('pool') ?? 10);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: password ?? decodeURIComponent(url.password),
    database,
    connectionLimit: Number.isInteger(connectionLimit) && connectionLimit > 0 ? connectionLimit : 10,
    ssl: sslOptions(url.searchParams),
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    // A server that accepts TCP but never greets (stopped process) costs a new connection this long.
    connectTimeout: poolTimeouts(raw).acquireMs,
    // The queue sends a transaction's statements in one round trip (store/statement-batch.ts).
    multipleStatements: true,
  };
}

export function openMariadb(raw: string, password?: string): MariadbHandle {
  const options = poolOptions(raw, password);
  const pool = createPool(options);
  pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    connection.query("SET SESSION time_zone = '+00:00'");
  });
  const display = redactUrl(new URL(raw.replace(/^mariadb:/, 'mysql:')));
  const timeouts = poolTimeouts(raw);
  // Hooked: an audited operation's entry commits in the transaction of its change (write-hook.ts).
  const db = new Kysely<Database>({
    dialect: withWriteHooks(new MysqlDialect({ pool: guardedPool(pool, timeouts) })),
  });
  markServerDatabase(db);
  return { db, pool, display, timeouts };
}
