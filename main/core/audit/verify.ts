// `fleetdeck audit verify`: walks the chain from its anchor in seq order, 1,000 entries a read, and
// names the first entry that does not verify — its hash does not match its content (edited), it does
// not follow the entry before it (one deleted, or rows reordered), or the chain ends before its head
// (entries deleted at the end). Pruning moves the anchor (the hash of the newest pruned entry), so a
// pruned chain still verifies from there.
import type { Db } from '../store/schema.js';
import { entryHash } from './entry.js';

export type VerifyResult =
  | { ok: true; entries: number; headSeq: number; headHash: string; anchorSeq: number }
  | { ok: false; entries: number; seq: number; problem: string };

export async function verifyChain(db: Db, pageSize = 1_000): Promise<VerifyResult> {
  const chain = await db.selectFrom('audit_chain').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!chain) return { ok: false, entries: 0, seq: 0, problem: 'the chain head row is missing' };
  const anchorSeq = Number(chain.anchor_seq);
  const headSeq = Number(chain.head_seq);
  let expectedSeq = anchorSeq + 1;
  let prevHash = chain.anchor_hash;
  let entries = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>=', expectedSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        return {
          ok: false,
          entries,
          seq,
          problem: `entry ${seq} follows entry ${expectedSeq - 1}: ${seq - expectedSeq === 1 ? `entry ${expectedSeq} was` : `entries ${expectedSeq}–${seq - 1} were`} deleted`,
        };
      }
      if (row.prev_hash !== prevHash) {
        return {
          ok: false,
          entries,
          seq,
          problem: `entry ${seq} does not follow entry ${seq - 1} (previous hash differs: deleted, reordered or replaced)`,
        };
      }
      const { hash, ...content } = row;
      if (entryHash(content) !== hash) {
        return { ok: false, entries, seq, problem: `entry ${seq} was edited (its content does not match its hash)` };
      }
      prevHash = hash;
      expectedSeq = seq + 1;
      entries++;
    }
    if (rows.length < pageSize) break;
  }
  if (expectedSeq - 1 > headSeq) {
    return {
      ok: false,
      entries,
      seq: headSeq + 1,
      problem: `entry ${headSeq + 1} is past the chain's head (written outside FleetDeck)`,
    };
  }
  if (expectedSeq - 1 !== headSeq || prevHash !== chain.head_hash) {
    return {
      ok: false,
      entries,
      seq: expectedSeq,
      problem: `the chain ends at entry ${expectedSeq - 1} but its head is entry ${headSeq}: entries after ${expectedSeq - 1} were deleted`,
    };
  }
  // Rows before the anchor are ones pruning missed; they do not verify against anything.
  const stray = await db
    .selectFrom('audit_log')
    .select('seq')
    .where('seq', '<=', anchorSeq)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
  if (stray) {
    return {
      ok: false,
      entries,
      seq: Number(stray.seq),
      problem: `entry ${Number(stray.seq)} is older than the chain's anchor (${anchorSeq})`,
    };
  }
  return { ok: true, entries, headSeq, headHash: chain.head_hash, anchorSeq };
}
