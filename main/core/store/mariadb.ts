// Opens a shared MariaDB (or MySQL) database over a mysql2 pool, READ COMMITTED, UTC.
// URL: mysql://user:pass@host:port/db[?ssl=true|ssl-ca=/path/ca.pem&ssl-verify=false&pool=10]
import { readFileSync } from 'node:fs';
import { Kysely, MysqlDialect } from 'kysely';
import { createPool, type Pool, type PoolOptions } from 'mysql2';
import { FleetError } from '../errors.js';
import type { Database } from './schema.js';
import { markServerDatabase } from './statement-batch.js';

export interface MariadbHandle {
  db: Kysely<Database>;
  pool: Pool;
  /** The URL with the password hidden, for logs and errors. */
  display: string;
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

export function poolOptions(raw: string): PoolOptions {
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
    password: decodeURIComponent(url.password),
    database,
    connectionLimit: Number.isInteger(connectionLimit) && connectionLimit > 0 ? connectionLimit : 10,
    ssl: sslOptions(url.searchParams),
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    connectTimeout: 10_000,
    // The queue sends a transaction's statements in one round trip (store/statement-batch.ts).
    multipleStatements: true,
  };
}

export function openMariadb(raw: string): MariadbHandle {
  const options = poolOptions(raw);
  const pool = createPool(options);
  pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    connection.query("SET SESSION time_zone = '+00:00'");
  });
  const display = redactUrl(new URL(raw.replace(/^mariadb:/, 'mysql:')));
  const db = new Kysely<Database>({ dialect: new MysqlDialect({ pool }) });
  markServerDatabase(db);
  return { db, pool, display };
}
