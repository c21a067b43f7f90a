// The oldest database servers FleetDeck runs on: MariaDB 10.6 and MySQL 8.0, the first with
// `FOR UPDATE SKIP LOCKED`, which the queue's claims rely on. Checked at start, so an older server
// is refused with what to do rather than failing on the first claim.
import { sql } from 'kysely';
import { FleetError } from '../../contract/errors.js';
import type { Db } from './schema.js';

export const MINIMUM_VERSIONS = { MariaDB: [10, 6], MySQL: [8, 0] } as const;

/** The server's product and version from `select version()` ("10.11.6-MariaDB-0+deb12u1", "8.0.36"). */
export function parseServerVersion(
  text: string,
): { product: 'MariaDB' | 'MySQL'; major: number; minor: number } | null {
  // Replication proxies and old clients see MariaDB as "5.5.5-10.x…"; the real version follows.
  const match = /^(?:5\.5\.5-)?(\d+)\.(\d+)/.exec(text.trim());
  if (!match) return null;
  return { product: /mariadb/i.test(text) ? 'MariaDB' : 'MySQL', major: Number(match[1]), minor: Number(match[2]) };
}

/** null when the server is new enough; otherwise the message that says what to do. */
export function serverVersionProblem(text: string, where: string): string | null {
  const parsed = parseServerVersion(text);
  if (!parsed) return `Cannot tell the version of the database server at ${where} ("${text}").`;
  const [major, minor] = MINIMUM_VERSIONS[parsed.product];
  if (parsed.major > major || (parsed.major === major && parsed.minor >= minor)) return null;
  return (
    `The database server at ${where} is ${parsed.product} ${parsed.major}.${parsed.minor}; FleetDeck needs MariaDB 10.6 or newer, ` +
    'or MySQL 8.0 or newer (for FOR UPDATE SKIP LOCKED). Upgrade the server, or use SQLite for a single master.'
  );
}

export async function checkServerVersion(db: Db, where: string): Promise<void> {
  const row = (await sql<{ v: string }>`select version() as v`.execute(db)).rows[0];
  const problem = serverVersionProblem(String(row?.v ?? ''), where);
  if (problem) throw new FleetError('bad_request', problem);
}
