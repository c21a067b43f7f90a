// Which database failures mean "the database is not there right now" (503 `unavailable`, try again)
// rather than a bug (500): a server that stopped answering, refused or dropped the connection, shut
// down, or a SQLite file another process holds locked past the busy timeout.
import { FleetError } from '../../contract/errors.js';

/** Network and protocol codes of a database server that is down, gone or not answering. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
  'ER_CLIENT_INTERACTION_TIMEOUT',
]);
/** MariaDB errnos of the same kind: server shutdown (1053), too many connections (1040), lost (2006/2013). */
const CONNECTION_ERRNOS = new Set([1040, 1053, 2002, 2003, 2006, 2013, 4031]);
const SQLITE_BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_LOCKED', 'SQLITE_BUSY_SNAPSHOT']);

interface DriverError {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  message?: unknown;
}

/** The 503 answer for a database failure of that kind, or null for any other error. */
export function databaseUnavailable(error: unknown): FleetError | null {
  if (error instanceof FleetError) return error.code === 'unavailable' ? error : null;
  if (typeof error !== 'object' || error === null) return null;
  const { code, errno, fatal, message } = error as DriverError;
  const text = typeof message === 'string' ? message : String(code);
  if (typeof code === 'string' && SQLITE_BUSY_CODES.has(code)) {
    return new FleetError('unavailable', `The database is locked by another process (${text}); try again shortly.`);
  }
  const connectionLevel =
    fatal === true ||
    (typeof code === 'string' && CONNECTION_CODES.has(code)) ||
    (typeof errno === 'number' && CONNECTION_ERRNOS.has(errno)) ||
    text === 'Pool is closed.';
  return connectionLevel ? new FleetError('unavailable', `The database is unavailable: ${text}`) : null;
}
