// The database's clock, so instances on hosts with skewed clocks agree on lease expiry.
import { sql } from 'kysely';
import type { Db } from '../store/schema.js';

export async function databaseNow(db: Db, dialect: 'sqlite' | 'mariadb'): Promise<number> {
  const query =
    dialect === 'mariadb'
      ? sql<{ now: number | string }>`select cast(unix_timestamp(now(3)) * 1000 as signed) as now`
      : sql<{ now: number | string }>`select cast((julianday('now') - 2440587.5) * 86400000 as integer) as now`;
  const row = (await query.execute(db)).rows[0];
  return Number(row?.now);
}
