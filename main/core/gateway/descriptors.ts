// How many file descriptors the agent gateway may hold. Every accepted connection costs one; a master
// out of descriptors cannot accept an admin request, open the database or write a file, so the gateway
// stays below the process limit by a reserve the admin listener, the database and files keep.
import { readFileSync } from 'node:fs';

export interface DescriptorBudget {
  /** The process's open-file limit (RLIMIT_NOFILE, soft), or null when it cannot be read. */
  limit: number | null;
  /** Left for the admin listener, the database, logs and files. */
  reserve: number;
  /** Gateway connections at most (authenticated or not). */
  gateway: number;
  /** Admin HTTP connections at most: half the reserve, so the database and files keep the rest. */
  admin: number;
}

/** The soft open-file limit from /proc/self/limits (Linux); null elsewhere or when unlimited. */
export function openFileLimit(read: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number | null {
  let text: string;
  try {
    text = read();
  } catch {
    return null;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  const n = Number(soft);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export function descriptorBudget(limit: number | null = openFileLimit()): DescriptorBudget {
  if (limit === null) return { limit, reserve: 0, gateway: Number.POSITIVE_INFINITY, admin: Number.POSITIVE_INFINITY };
  // An eighth of the limit, at least 256, but never more than half of a tiny limit.
  const reserve = Math.min(Math.max(256, Math.ceil(limit / 8)), Math.floor(limit / 2));
  return { limit, reserve, gateway: limit - reserve, admin: Math.max(1, Math.floor(reserve / 2)) };
}
