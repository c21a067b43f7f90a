// Shared mode: a batch written late (it waited in an instance's spool through a database outage or a
// crash) must not write the rows of a node whose agent has since connected to another instance. That
// instance adopted the baseline it found in the database and counts everything after it — the late
// batch's bytes included — so writing them too would count them twice and move the stored baseline
// back. The holder is `nodes.instance_id`, which the gateway records (online mark) before it adopts.
// The rows are locked in the batch's transaction: an instance taking the node over waits for the
// commit, then reads the baseline it wrote.
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { RollupBatch } from './rollup-buffer.js';

export interface HeldNodes {
  /** Nodes of the part this instance may still write. */
  ours: Set<string>;
  /** Taken over by another instance, or with a stored baseline newer than the batch's. */
  superseded: number;
}

/** The part's nodes whose rows this instance may write in this transaction (locked until it ends). */
export async function nodesStillHeld(
  tx: Transaction<Database>,
  dialect: 'sqlite' | 'mariadb',
  instanceId: string,
  part: RollupBatch,
): Promise<HeldNodes> {
  const batchBaselines = new Map(part.baselines.map((b) => [b.nodeId, b.baseline]));
  const ids = [
    ...new Set([...part.minutes.map((r) => r.node_id), ...part.days.map((r) => r.node_id), ...batchBaselines.keys()]),
  ];
  const ours = new Set<string>();
  if (ids.length === 0) return { ours, superseded: 0 };
  let query = tx
    .selectFrom('nodes as n')
    .leftJoin('metric_baselines as b', 'b.node_id', 'n.id')
    .select(['n.id as id', 'n.instance_id as holder', 'b.boot_id as bootId', 'b.uptime_sec as uptimeSec'])
    .where('n.id', 'in', ids);
  // SQLite has one writer (and one instance); MariaDB needs the rows locked against a takeover.
  if (dialect === 'mariadb') query = query.forUpdate();
  let superseded = 0;
  for (const row of await query.execute()) {
    const mine = batchBaselines.get(row.id);
    const takenOver = row.holder !== null && row.holder !== instanceId;
    // Same boot, uptime (monotonic) already at or past this batch's: someone counted further.
    const stale = mine !== undefined && row.bootId === mine.bootId && Number(row.uptimeSec) >= mine.uptimeSec;
    if (takenOver || stale) superseded += 1;
    else ours.add(row.id);
  }
  return { ours, superseded };
}

/** The part's rows of the given nodes only. */
export function rowsOf(part: RollupBatch, nodes: Set<string>): RollupBatch {
  return {
    minutes: part.minutes.filter((r) => nodes.has(r.node_id)),
    hours: part.hours.filter((r) => nodes.has(r.node_id)),
    days: part.days.filter((r) => nodes.has(r.node_id)),
    baselines: part.baselines.filter((r) => nodes.has(r.nodeId)),
  };
}
