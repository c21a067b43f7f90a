// Tells a statement the database refused for its data (a value too long, out of range, not a number)
// from a database that is away or busy. The first will fail the same way every time, so a batch holding
// such a row must set the row aside rather than retry it; the second is worth retrying as it is.

/** MariaDB errors about the values of a statement (errno). */
const MARIADB_DATA_ERRORS = new Set([
  1048, // ER_BAD_NULL_ERROR: a NOT NULL column got null (e.g. NaN)
  1054, // ER_BAD_FIELD_ERROR: `Infinity` or `NaN` escaped into the statement reads as a column name
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1292, // ER_TRUNCATED_WRONG_VALUE
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1367, // ER_ILLEGAL_VALUE_FOR_TYPE
  1406, // ER_DATA_TOO_LONG
  1153, // ER_NET_PACKET_TOO_LARGE: the statement exceeds max_allowed_packet; smaller ones may pass
  1452, // ER_NO_REFERENCED_ROW_2: the row's parent is gone
  1690, // ER_DATA_OUT_OF_RANGE: e.g. a BIGINT sum that overflows
  3140, // ER_INVALID_JSON_TEXT
  4025, // ER_CONSTRAINT_FAILED
]);

/** SQLite result codes (better-sqlite3's `code`) about the values of a statement. */
const SQLITE_DATA_ERRORS = /^SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)/;

export function isDataError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { errno, code, sqlState } = error as { errno?: unknown; code?: unknown; sqlState?: unknown };
  if (typeof code === 'string' && SQLITE_DATA_ERRORS.test(code)) return true;
  // Server errors carry an SQLSTATE; mysql2's socket errors (ECONNREFUSED, …) have none.
  return typeof sqlState === 'string' && typeof errno === 'number' && MARIADB_DATA_ERRORS.has(errno);
}
