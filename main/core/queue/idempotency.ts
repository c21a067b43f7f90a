// Idempotency keys for the operations that enqueue work (POST /api/commands, a task run): a client
// that got no answer (a slow database, a dropped connection) retries with the same key and gets what
// the first request created instead of a second copy.
//
// The key row is written in the same transaction as the commands (queue.ts reads the batch's keys
// with its other reads and skips an enqueue whose key is already there), so whichever of two attempts
// commits first wins on every master sharing the database, and a first attempt the database finishes
// late — after the master gave up on it — is found by the retry rather than repeated. The primary key
// is the arbiter when two attempts race: the loser's transaction fails on it and is run again, and
// then reads the winner's key. Within one master, attempts with the same key also wait for each other.
import { createHash } from 'node:crypto';
import { FleetError } from '../../contract/errors.js';
import type { CommandsTable, Db, IdempotencyKeysTable } from '../store/schema.js';
import type { StatementBatch, StatementResult } from '../store/statement-batch.js';

/** A key answers retries for this long; the retention job deletes older rows. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 3_600_000;

export type IdempotentOperation = 'enqueueCommands' | 'runTask';

/** What an enqueue carries when its request had a key. */
export interface IdempotencyClaim {
  operation: IdempotentOperation;
  /** SHA-256 of the key: keys are client secrets of a kind, and this bounds the column. */
  keyHash: string;
  /** SHA-256 of the request without its key: the same key with another request is refused. */
  requestHash: string;
  /** What a retry needs to answer, from the rows the first request inserted. */
  reference(rows: CommandsTable[]): string;
}

export type StoredKey = IdempotencyKeysTable;

/** The enqueue carrying this claim was skipped: its key is in the database already. */
export class IdempotencyKeyTaken extends Error {
  constructor() {
    super('idempotency key already used');
    this.name = 'IdempotencyKeyTaken';
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so the same request always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function claimFor(
  operation: IdempotentOperation,
  key: string,
  request: unknown,
  reference: (rows: CommandsTable[]) => string,
): IdempotencyClaim {
  return { operation, keyHash: sha256(key), requestHash: sha256(canonical(request)), reference };
}

const sameKey = (row: Pick<StoredKey, 'key_hash' | 'operation'>, claim: IdempotencyClaim) =>
  row.key_hash === claim.keyHash && row.operation === claim.operation;

// ---- inside the queue's transaction ---------------------------------------------------------------

/** Round trip 1: the stored keys of the batch's claims. */
export function selectKeys(batch: StatementBatch, conn: Db, claims: IdempotencyClaim[]) {
  if (claims.length === 0) return null;
  return batch.add(
    conn
      .selectFrom('idempotency_keys')
      .select(['key_hash', 'operation', 'created_at'])
      .where('key_hash', 'in', [...new Set(claims.map((c) => c.keyHash))]),
  );
}

/**
 * Which claims of the batch must be skipped: their key is stored and still valid, or an earlier
 * enqueue of the same batch carries it. The rest are written by `writeKeys`.
 */
export function takenClaims(
  claims: IdempotencyClaim[],
  stored: StatementResult<Pick<StoredKey, 'key_hash' | 'operation' | 'created_at'>> | null,
  at: number,
): Set<IdempotencyClaim> {
  const live = (stored?.rows ?? []).filter((r) => Number(r.created_at) > at - IDEMPOTENCY_WINDOW_MS);
  const taken = new Set<IdempotencyClaim>();
  const seen: IdempotencyClaim[] = [];
  for (const claim of claims) {
    if (
      live.some((r) => sameKey(r, claim)) ||
      seen.some((s) => s.keyHash === claim.keyHash && s.operation === claim.operation)
    ) {
      taken.add(claim);
    } else {
      seen.push(claim);
    }
  }
  return taken;
}

/** Round trip 2: each claim's row (an expired row with the same key is replaced). */
export function writeKeys(
  batch: StatementBatch,
  conn: Db,
  written: Array<{ claim: IdempotencyClaim; rows: CommandsTable[] }>,
  at: number,
): void {
  for (const { claim, rows } of written) {
    batch.add(
      conn
        .deleteFrom('idempotency_keys')
        .where('key_hash', '=', claim.keyHash)
        .where('operation', '=', claim.operation)
        .where('created_at', '<=', at - IDEMPOTENCY_WINDOW_MS),
    );
    batch.add(
      conn.insertInto('idempotency_keys').values({
        key_hash: claim.keyHash,
        operation: claim.operation,
        request_hash: claim.requestHash,
        response_json: claim.reference(rows),
        created_at: at,
      }),
    );
  }
}

/** MariaDB's duplicate key (1062): another master committed the same key first; run it again. */
export function isDuplicateKey(error: unknown): boolean {
  return (error as { errno?: number }).errno === 1062;
}

// ---- around the handler -------------------------------------------------------------------------

/**
 * Runs keyed requests once: a key seen before answers from what it stored; attempts with the same key
 * on this master run one after another.
 */
export class IdempotentRequests {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async once<T>(claim: IdempotencyClaim, execute: () => Promise<T>, replay: (reference: string) => Promise<T>) {
    const slot = `${claim.operation}:${claim.keyHash}`;
    for (let ahead = this.inFlight.get(slot); ahead; ahead = this.inFlight.get(slot)) {
      await ahead.catch(() => undefined);
    }
    const attempt = this.attempt(claim, execute, replay);
    this.inFlight.set(slot, attempt);
    try {
      return await attempt;
    } finally {
      if (this.inFlight.get(slot) === attempt) this.inFlight.delete(slot);
    }
  }

  private async attempt<T>(
    claim: IdempotencyClaim,
    execute: () => Promise<T>,
    replay: (reference: string) => Promise<T>,
  ) {
    const stored = await this.find(claim);
    if (stored) return this.answer(stored, claim, replay);
    try {
      return await execute();
    } catch (error) {
      if (!(error instanceof IdempotencyKeyTaken)) throw error;
      const winner = await this.find(claim);
      if (!winner) throw new FleetError('conflict', 'Another request with this Idempotency-Key is in progress; retry.');
      return this.answer(winner, claim, replay);
    }
  }

  private async find(claim: IdempotencyClaim): Promise<StoredKey | undefined> {
    return this.db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('key_hash', '=', claim.keyHash)
      .where('operation', '=', claim.operation)
      .where('created_at', '>', this.now() - IDEMPOTENCY_WINDOW_MS)
      .executeTakeFirst();
  }

  private answer<T>(stored: StoredKey, claim: IdempotencyClaim, replay: (reference: string) => Promise<T>) {
    if (stored.request_hash !== claim.requestHash) {
      throw new FleetError(
        'idempotency_key_reused',
        'This Idempotency-Key was used within the last 24 h for a different request; use a new key for a new request.',
      );
    }
    return replay(stored.response_json);
  }
}
