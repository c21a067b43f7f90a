// The admin event stream (`/api/events`): every bus event serialized once with an id, written to each
// subscriber, and kept in a bounded replay buffer so a client that reconnects with `Last-Event-ID`
// gets what it missed instead of refetching everything. Live metrics have no id and are not kept:
// the next ≈1 Hz event supersedes them.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyEvent, EventName } from '../contract/contract.js';
import {
  EVENT_ID_PATTERN,
  STREAM_CLOSED_EVENT,
  STREAM_HEARTBEAT_MS,
  STREAM_OPENED_EVENT,
  type StreamOpened,
  UNRESUMABLE_EVENT_ID,
} from '../contract/event-stream.js';
import { type EventGate, eventNodes } from '../core/access/event-gate.js';
import type { EventBus } from '../core/events.js';

/** A subscriber that falls this far behind is cut off; it reconnects and resumes or refetches. */
const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024;
/** A subscriber this far behind skips live-metrics updates (the next one supersedes them). */
const METRICS_SKIP_BACKLOG_BYTES = 64 * 1024;

export interface ReplayLimits {
  events: number;
  bytes: number;
}
const DEFAULT_LIMITS: ReplayLimits = { events: 2_000, bytes: 2 * 1024 * 1024 };

interface Frame {
  seq: number;
  text: string;
  /** What a scoped subscriber's gate decides a replayed frame by (core/access/event-gate.ts). */
  event: EventName;
  nodes: readonly string[] | null;
}

/** One `/api/events` client, with its caller's gate (null: it may see everything). */
interface Subscriber {
  res: ServerResponse;
  gate: EventGate | null;
  /** The metrics tick (`t`) last decided on, and whether this subscriber skips it: decided at a tick's
   * first event and kept for its others, so a slow client misses whole ticks, never the same nodes. */
  metricsTick: number | null;
  skipsTick: boolean;
  /** Bytes of the last tick written to it: they may still wait in its buffer (see publish). */
  tickBytes: number;
}

const frameBody = (message: AnyEvent) => `event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`;

/** Writes a frame; returns its length (characters: the frames are JSON, close to their bytes). */
function write(res: ServerResponse, text: string): number {
  res.write(text);
  return text.length;
}

/** Whether the subscriber skips this metrics tick: it is this far behind when the tick's first event comes. */
function skipsTick(subscriber: Subscriber, t: number): boolean {
  if (subscriber.metricsTick !== t) {
    subscriber.metricsTick = t;
    subscriber.skipsTick = subscriber.res.writableLength > METRICS_SKIP_BACKLOG_BYTES;
    // A skipped tick leaves the last one's allowance: that one may still be in the buffer.
    if (!subscriber.skipsTick) subscriber.tickBytes = 0;
  }
  return subscriber.skipsTick;
}

/** The last events as written on the wire, bounded by count and bytes. */
export class ReplayLog {
  /** Differs per process, so an id from before a restart is never mistaken for one of ours. */
  readonly epoch = randomBytes(6).readUIntBE(0, 6).toString(36);
  private seq = 0;
  private readonly frames: Frame[] = [];
  private head = 0;
  private bytes = 0;
  /** Every event up to this sequence that a resume would need is gone from the buffer. */
  private evictedThrough = 0;

  constructor(private readonly limits: ReplayLimits = DEFAULT_LIMITS) {}

  /**
   * Serializes the event with the next id and keeps it. A metrics tick gets neither: the next one
   * supersedes it, and a client's last id (SSE keeps it across id-less events) stays resumable.
   */
  append(message: AnyEvent, nodes: readonly string[] | null = null): string {
    const body = frameBody(message);
    if (message.event === 'metrics') return body;
    this.seq += 1;
    const text = `id: ${this.epoch}.${this.seq}\n${body}`;
    this.keep({ seq: this.seq, text, event: message.event, nodes });
    return text;
  }

  /** The frames after `lastId`, or null when they cannot all be given (unknown, foreign or too old). */
  since(lastId: string | undefined, gate: EventGate | null = null): string[] | null {
    if (!lastId || lastId.length > 40 || !EVENT_ID_PATTERN.test(lastId)) return null;
    const [epoch, seqText] = lastId.split('.') as [string, string];
    const seq = Number(seqText);
    if (epoch !== this.epoch || seq > this.seq || seq < this.evictedThrough) return null;
    const out: string[] = [];
    for (let i = this.head; i < this.frames.length; i++) {
      const frame = this.frames[i] as Frame;
      if (frame.seq > seq && (gate === null || gate.allows(frame.event, frame.nodes))) out.push(frame.text);
    }
    return out;
  }

  private keep(frame: Frame): void {
    this.frames.push(frame);
    this.bytes += frame.text.length;
    while (this.frames.length - this.head > this.limits.events || this.bytes > this.limits.bytes) {
      const old = this.frames[this.head] as Frame;
      this.head += 1;
      this.bytes -= old.text.length;
      this.evictedThrough = old.seq;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 1_024 && this.head * 2 > this.frames.length) {
      this.frames.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** The subscribers of one admin server, fed from one bus subscription. */
export class EventStreams {
  private readonly subscribers = new Set<Subscriber>();
  private readonly log: ReplayLog;
  private unsubscribe: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly bus: EventBus,
    limits?: ReplayLimits,
  ) {
    this.log = new ReplayLog(limits);
  }

  /**
   * Answers one `/api/events` request (already authenticated) and keeps it open; `gate` (the caller's
   * label scope) keeps out what it may not see, replayed events included. Returns what cuts this
   * stream off when its caller no longer stands (core/access/held-callers.ts).
   */
  open(
    req: IncomingMessage,
    res: ServerResponse,
    headers: Record<string, string>,
    gate: EventGate | null = null,
  ): () => void {
    this.start();
    const lastId = req.headers['last-event-id'];
    const replay = this.log.since(typeof lastId === 'string' ? lastId : undefined, gate);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...headers,
    });
    const opened: StreamOpened = { resumed: replay !== null };
    res.write(`event: ${STREAM_OPENED_EVENT}\ndata: ${JSON.stringify(opened)}\n\n`);
    for (const text of replay ?? []) res.write(text);
    const subscriber: Subscriber = { res, gate, metricsTick: null, skipsTick: false, tickBytes: 0 };
    this.subscribers.add(subscriber);
    const cleanup = () => this.subscribers.delete(subscriber);
    req.on('close', cleanup);
    res.on('close', cleanup);
    return () => {
      cleanup();
      if (res.writableEnded) return;
      res.end(`id: ${UNRESUMABLE_EVENT_ID}\nevent: ${STREAM_CLOSED_EVENT}\ndata: {}\n\n`);
    };
  }

  /** Ends every stream; clients reconnect (to a restarted server they refetch). */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const { res } of this.subscribers) res.end();
    this.subscribers.clear();
  }

  /** From the first subscriber on, every event is recorded, so later reconnects can resume. */
  private start(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.bus.subscribe((message) => this.publish(message));
    // A comment when idle: clients treat STREAM_SILENCE_MS of silence as a lost connection.
    this.heartbeat = setInterval(() => {
      for (const { res } of this.subscribers) if (res.writableLength === 0) res.write(': keep-alive\n\n');
    }, STREAM_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private publish(message: AnyEvent): void {
    // A metrics tick is never kept, and a scoped subscriber filters its nodes itself.
    const nodes = message.event === 'metrics' ? null : eventNodes(message);
    const text = this.log.append(message, nodes);
    for (const subscriber of this.subscribers) {
      const { res, gate } = subscriber;
      // A tick is written whole or skipped whole (its events are its parts). Other events cut off a
      // subscriber this far behind, not counting the last tick: a 10,000-node tick is ≈ 2.8 MB, and a
      // browser still reading it (busy painting) is not a stalled one (cutting it off made it refetch
      // the whole fleet, which made it slower still).
      const tick = message.event === 'metrics';
      if (tick && skipsTick(subscriber, message.data.t)) continue;
      if (!tick && res.writableLength > MAX_EVENT_BACKLOG_BYTES + subscriber.tickBytes) {
        res.destroy();
        continue;
      }
      const written = gate === null ? write(res, text) : this.writeGated(res, gate, message, nodes, text);
      if (tick) subscriber.tickBytes += written;
    }
  }

  /** A scoped subscriber: the event if it may see it; a metrics tick cut down to its nodes. Returns what it wrote. */
  private writeGated(
    res: ServerResponse,
    gate: EventGate,
    message: AnyEvent,
    nodes: readonly string[] | null,
    text: string,
  ): number {
    if (message.event !== 'metrics') return gate.allows(message.event, nodes) ? write(res, text) : 0;
    const mine = gate.metrics(message);
    return mine ? write(res, frameBody(mine)) : 0;
  }
}
