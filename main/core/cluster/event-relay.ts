// Carries events between instances sharing a database: what one instance's agents report (command
// status and output, task runs, node status, live metrics) reaches every instance's subscribers.
// Outgoing events are batched into one insert per interval; incoming ones are polled by id. An event
// too large to relay, or one the database refuses, is set aside (logged, counted): it must not hold up
// the events behind it. Beside the subscribers' events it carries peer messages: what the instances
// tell each other and no subscriber sees (probe results for the leader's quorum), each kind to the
// handler registered for it.
import type { AnyEvent, EventName } from '../../contract/contract.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import { isDataError } from '../store/db-errors.js';
import type { Db } from '../store/schema.js';

const RELAYED: ReadonlySet<EventName> = new Set([
  'commandStatus',
  'commandOutput',
  'taskRunStatus',
  'nodeStatus',
  'nodeChanged',
  'nodeDeleted',
  'metrics',
]);
const KEEP_MS = 60_000;
const MAX_BATCH = 2_000;
/**
 * The largest event relayed (its JSON, in UTF-8 bytes): a command's output chunk (256 Ki characters,
 * escaped) or the metrics headlines of some 15,000 nodes fit. The column holds 16 MiB; an insert of
 * 4 MiB stays within MariaDB's default 16 MiB max_allowed_packet even if escaping doubles it.
 */
export const MAX_RELAYED_EVENT_BYTES = 4 * 1024 * 1024;
/**
 * Ids are allocated when a row is inserted but become visible when it commits, so a lower id can
 * appear after a higher one. Reading stays behind such a gap until it fills, or for at most this long
 * (a rolled-back insert leaves a gap that never fills).
 */
const GAP_WAIT_MS = 2_000;

/** A message for the other instances only, never put on their buses. */
export interface PeerMessage {
  peer: string;
  data: unknown;
}

/** How a part of the master talks to the same part on the other instances (null on SQLite: no others). */
export interface PeerChannel {
  send(kind: string, data: unknown): void;
  on(kind: string, handler: (data: unknown) => void): void;
}

type Relayed = AnyEvent | PeerMessage;
const nameOf = (m: Relayed): string => ('peer' in m ? `peer:${m.peer}` : m.event);

export class EventRelay implements PeerChannel {
  private outbox: Relayed[] = [];
  private readonly peerHandlers = new Map<string, (data: unknown) => void>();
  /** Every id up to this one has been handled. */
  private lastId = 0;
  private readonly seenAbove = new Set<number>();
  private gapSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private relaying = false;
  private busy = false;
  private unsubscribe: (() => void) | null = null;
  /** Events not relayed: too large, or refused by the database. */
  setAside = 0;

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly instanceId: string,
    private readonly log: Logger,
    private readonly intervalMs = 100,
  ) {}

  async start(): Promise<void> {
    const row = await this.db
      .selectFrom('cluster_events')
      .select((eb) => eb.fn.max('id').as('id'))
      .executeTakeFirst();
    this.lastId = Number(row?.id ?? 0);
    this.unsubscribe = this.bus.subscribe((message) => {
      if (!this.relaying && RELAYED.has(message.event)) this.outbox.push(message);
    });
    this.timer = setInterval(() => void this.exchange(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.exchange();
  }

  send(kind: string, data: unknown): void {
    this.outbox.push({ peer: kind, data });
  }

  /** One handler per kind; a message of a kind nobody handles here is ignored. */
  on(kind: string, handler: (data: unknown) => void): void {
    this.peerHandlers.set(kind, handler);
  }

  /** Deletes relayed events nobody needs any more (run by the leader). */
  async prune(now = Date.now()): Promise<void> {
    await this.db
      .deleteFrom('cluster_events')
      .where('at', '<', now - KEEP_MS)
      .execute();
  }

  private async exchange(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.sendBatch();
      await this.receive();
    } catch (err) {
      this.log.warn({ err }, 'could not exchange events with the other instances');
    } finally {
      this.busy = false;
    }
  }

  private async sendBatch(): Promise<void> {
    const { events, bodies } = this.nextBatch();
    if (bodies.length === 0) return;
    try {
      await this.insert(bodies);
    } catch (err) {
      if (!isDataError(err)) {
        this.outbox.unshift(...events);
        if (this.outbox.length > 50_000) this.outbox.splice(0, this.outbox.length - 50_000);
        throw err;
      }
      await this.insertOneByOne(events, bodies);
    }
  }

  /** Events from the outbox up to MAX_BATCH and MAX_RELAYED_EVENT_BYTES together; oversized ones are set aside. */
  private nextBatch(): { events: Relayed[]; bodies: string[] } {
    const events: Relayed[] = [];
    const bodies: string[] = [];
    let bytes = 0;
    while (this.outbox.length > 0 && events.length < MAX_BATCH) {
      const event = this.outbox[0] as Relayed;
      const body = JSON.stringify(event);
      const size = Buffer.byteLength(body);
      if (size > MAX_RELAYED_EVENT_BYTES) {
        this.outbox.shift();
        this.setAsideEvent(nameOf(event), size, 'too large to relay');
        continue;
      }
      if (bodies.length > 0 && bytes + size > MAX_RELAYED_EVENT_BYTES) break;
      this.outbox.shift();
      events.push(event);
      bodies.push(body);
      bytes += size;
    }
    return { events, bodies };
  }

  private async insert(bodies: string[]): Promise<void> {
    const at = Date.now();
    await this.db
      .insertInto('cluster_events')
      .values(bodies.map((body) => ({ instance_id: this.instanceId, at, body })))
      .execute();
  }

  /** After a refused batch: every event alone, so only the one the database refuses is lost. */
  private async insertOneByOne(events: Relayed[], bodies: string[]): Promise<void> {
    for (const [i, body] of bodies.entries()) {
      try {
        await this.insert([body]);
      } catch (err) {
        if (!isDataError(err)) {
          this.outbox.unshift(...events.slice(i));
          throw err;
        }
        this.setAsideEvent(nameOf(events[i] as Relayed), Buffer.byteLength(body), String(err));
      }
    }
  }

  private setAsideEvent(event: string, bytes: number, why: string): void {
    this.setAside += 1;
    this.log.warn({ event, bytes, why }, 'set aside an event the other instances will not see');
  }

  private async receive(): Promise<void> {
    const rows = await this.db
      .selectFrom('cluster_events')
      .select(['id', 'instance_id', 'body'])
      .where('id', '>', this.lastId)
      .orderBy('id')
      .limit(MAX_BATCH)
      .execute();
    for (const row of rows) {
      const id = Number(row.id);
      if (this.seenAbove.has(id)) continue;
      this.seenAbove.add(id);
      if (row.instance_id === this.instanceId) continue;
      const message = JSON.parse(row.body) as Relayed;
      if ('peer' in message) {
        this.toPeerHandler(message);
        continue;
      }
      this.relaying = true;
      try {
        this.bus.emit(message.event, message.data as never);
      } finally {
        this.relaying = false;
      }
    }
    this.advance();
  }

  private toPeerHandler(message: PeerMessage): void {
    try {
      this.peerHandlers.get(message.peer)?.(message.data);
    } catch (err) {
      this.log.warn({ err, peer: message.peer }, 'could not handle a message from another instance');
    }
  }

  private advance(): void {
    while (this.seenAbove.delete(this.lastId + 1)) this.lastId += 1;
    if (this.seenAbove.size === 0) {
      this.gapSince = null;
      return;
    }
    const now = Date.now();
    if (this.gapSince === null) this.gapSince = now;
    else if (now - this.gapSince > GAP_WAIT_MS) {
      this.lastId = Math.min(...this.seenAbove) - 1;
      this.gapSince = null;
      this.advance();
    }
  }
}
