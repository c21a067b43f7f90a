// The queue's maintenance, split from the hot path the way River splits its maintenance services:
// one timer (1 s) reads the due rows of the hot set once and each named service decides what its rows
// need. The leader alone ends commands (one instance deciding keeps two from both finishing a row);
// every instance kicks its own connected nodes.
//
//   deadline expirer   pending past its deadline, or dispatched past it while its node is away
//                      → `expired` (the node never took it in time)
//   lease rescuer      dispatched/running whose lease ran out: node away → `lost` (a retry policy may
//                      add an attempt); node connected here or on another instance → leases renewed
//                      (River's JobRescuer)
//   due dispatcher     pending and available now (a retry's delay passed, a held command released)
//                      on a node connected here → kicked for a claim (River's JobScheduler)
//
// Everything the services end goes in one statement batch (one transaction: the rows read and locked,
// then every guarded update, delete and retry insert with the COMMIT), not one transaction per row;
// renewals are one statement for all nodes.
import type { CommandStatus, CommandsTable, Db } from '../store/schema.js';

/** A move to a terminal state that no agent reported (the sweep's, a cancel's). */
export interface UnreportedFinish {
  id: string;
  status: Extract<CommandStatus, 'cancelled' | 'expired' | 'lost'>;
  error: string;
}

/** What the sweeper needs of the queue. */
export interface SweptQueue {
  /** Ends these commands in one transaction; returns the rows that did move. */
  finishUnreported(finishes: UnreportedFinish[]): Promise<CommandsTable[]>;
  /** Leases of the nodes' dispatched and running commands start over (their agents are connected). */
  renewLeases(nodeIds: string[]): Promise<void>;
  kick(nodeId: string): void;
}

export interface SweeperOptions {
  intervalMs: number;
  /** Shared mode: whether nodes may be connected to other instances (read from `nodes.status`). */
  shared: boolean;
  isConnectedHere(nodeId: string): boolean;
  now(): number;
  onError(err: unknown): void;
}

/** A row of the hot set as the sweep reads it. */
export interface DueRow {
  command_id: string;
  node_id: string;
  status: 'pending' | 'dispatched' | 'running';
  deadline_at: number | null;
  lease_until: number | null;
  available_at: number | null;
}

export type SweepDecision =
  | { service: 'deadline expirer'; finish: UnreportedFinish }
  | { service: 'lease rescuer'; finish: UnreportedFinish }
  | { service: 'lease rescuer'; renew: string }
  | { service: 'due dispatcher'; kick: string }
  | null;

const EXPIRED = 'the node did not take it before its deadline';
const LOST = 'the node went away and did not report back in time';

/**
 * What one due row needs. `here`: its node is connected to this instance; `somewhere`: to any
 * instance. Only the leader ends or renews; any instance kicks its own nodes.
 */
export function decide(row: DueRow, at: number, leader: boolean, here: boolean, somewhere: boolean): SweepDecision {
  if (!leader) return row.status === 'pending' && here ? { service: 'due dispatcher', kick: row.node_id } : null;
  const pastDeadline = row.deadline_at !== null && Number(row.deadline_at) < at;
  if (pastDeadline && (row.status === 'pending' || (row.status === 'dispatched' && !somewhere))) {
    return { service: 'deadline expirer', finish: { id: row.command_id, status: 'expired', error: EXPIRED } };
  }
  if (row.status !== 'pending' && row.lease_until !== null && Number(row.lease_until) < at) {
    if (somewhere) return { service: 'lease rescuer', renew: row.node_id };
    return { service: 'lease rescuer', finish: { id: row.command_id, status: 'lost', error: LOST } };
  }
  if (row.status === 'pending' && here) return { service: 'due dispatcher', kick: row.node_id };
  return null;
}

export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  /** Only the leader ends commands (always true on SQLite: one instance). */
  private leader = true;

  constructor(
    private readonly db: Db,
    private readonly queue: SweptQueue,
    private readonly options: SweeperOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err) => this.options.onError(err));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  setLeader(leader: boolean): void {
    this.leader = leader;
  }

  /** One pass of every service over the rows due now. */
  async sweep(): Promise<void> {
    const at = this.options.now();
    const due = await this.dueRows(at);
    const somewhere = this.leader ? await this.onlineNodes(due.map((r) => r.node_id)) : new Set<string>();
    const finishes: UnreportedFinish[] = [];
    const renew = new Set<string>();
    for (const row of due) {
      const here = this.options.isConnectedHere(row.node_id);
      const decision = decide(row, at, this.leader, here, here || somewhere.has(row.node_id));
      if (decision === null) continue;
      if ('finish' in decision) finishes.push(decision.finish);
      else if ('renew' in decision) renew.add(decision.renew);
      else this.queue.kick(decision.kick);
    }
    if (finishes.length > 0) await this.queue.finishUnreported(finishes);
    if (renew.size > 0) await this.queue.renewLeases([...renew]);
  }

  /** Past a deadline, past a lease, or pending and available: at most 10,000 per pass. */
  private dueRows(at: number): Promise<DueRow[]> {
    return this.db
      .selectFrom('command_inflight')
      .select(['command_id', 'node_id', 'status', 'deadline_at', 'lease_until', 'available_at'])
      .where((eb) =>
        eb.or([
          eb.and([eb('status', 'in', ['pending', 'dispatched']), eb('deadline_at', '<', at)]),
          eb('lease_until', '<', at),
          eb.and([eb('status', '=', 'pending'), eb('available_at', '<=', at)]),
        ]),
      )
      .limit(10_000)
      .execute();
  }

  /** Shared mode: of these nodes, those connected to some instance (the agent may be on another). */
  private async onlineNodes(nodeIds: string[]): Promise<Set<string>> {
    if (!this.options.shared || nodeIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('nodes')
      .select('id')
      .where('id', 'in', [...new Set(nodeIds)])
      .where('status', '=', 'online')
      .execute();
    return new Set(rows.map((r) => r.id));
  }
}
