// The master's event stream over fetch (EventSource cannot send the Authorization header), parsed by
// eventsource-parser. One connection per transport: it resumes with Last-Event-ID, reconnects with
// backoff while telling the hub (the UI shows a banner), treats silence as a lost connection (the
// server writes every STREAM_HEARTBEAT_MS), and stops on 401 so the UI logs out.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { type AnyEvent, type EventName, events } from '../../main/contract/contract.js';
import { STREAM_OPENED_EVENT, STREAM_SILENCE_MS, type StreamOpened } from '../../main/contract/event-stream.js';
import type { EventHub } from './events.js';

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 15_000;
/** A parser buffer above this (one event's data) means a broken stream; reconnect instead. */
const MAX_EVENT_BYTES = 32 * 1024 * 1024;
/**
 * Events are handled in slices of about this long, the page painting between them: what arrived at
 * once (a 10,000-node metrics tick is 40 events, a resume may replay thousands) must not hold a frame.
 */
const SLICE_MS = 4;

/** How often the stream's silence is checked. */
const SILENCE_CHECK_MS = 500;

/**
 * Whether a stream has been silent too long: time the page could have read and heard nothing. A main
 * thread busy for seconds (the first render of a 10,000-node fleet) reads nothing either, and its
 * check comes late by that long: such time is not counted, or a busy page would drop a healthy stream,
 * refetch the whole fleet and be busier still.
 */
export class SilenceWatch {
  private heardAt: number;
  private checkedAt: number;

  constructor(
    private readonly limitMs: number,
    private readonly everyMs: number,
    now: number,
  ) {
    this.heardAt = now;
    this.checkedAt = now;
  }

  heard(now: number): void {
    this.heardAt = now;
  }

  /** Called every `everyMs`: true once the silence the page could have heard through passed the limit. */
  silent(now: number): boolean {
    const late = now - this.checkedAt - this.everyMs;
    if (late > 0) this.heardAt += late;
    this.checkedAt = now;
    return now - this.heardAt > this.limitMs;
  }
}

/** 1, 2, 4 … 15 s, ±20 % so many browsers do not return in step. */
export function backoffMs(attempt: number, random = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

const isEventName = (name: string): name is EventName => Object.hasOwn(events, name);

/** The event as the contract types it, or null for anything malformed. */
export function parseEvent(name: string, data: string): AnyEvent | null {
  if (!isEventName(name)) return null;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  // Live metrics come once a second with every node; their shape is checked where they are merged.
  if (name === 'metrics') {
    const nodes = (value as { nodes?: unknown } | null)?.nodes;
    return Array.isArray(nodes) ? ({ event: name, data: value } as AnyEvent) : null;
  }
  const parsed = events[name].safeParse(value);
  return parsed.success ? ({ event: name, data: parsed.data } as AnyEvent) : null;
}

type Attempt = 'unauthorized' | 'ended';

export function runEventStream(url: string, headers: Record<string, string>, hub: EventHub, signal: AbortSignal) {
  let lastEventId: string | undefined;
  let attempt = 0;

  const once = async (): Promise<Attempt> => {
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener('abort', stop);
    const silence = new SilenceWatch(STREAM_SILENCE_MS, SILENCE_CHECK_MS, Date.now());
    const watchdog = setInterval(() => {
      if (silence.silent(Date.now())) controller.abort();
    }, SILENCE_CHECK_MS);
    try {
      const response = await fetch(url, {
        headers: lastEventId ? { ...headers, 'last-event-id': lastEventId } : headers,
        signal: controller.signal,
        cache: 'no-store',
      });
      if (response.status === 401) return 'unauthorized';
      if (!response.ok || !response.body) return 'ended';
      silence.heard(Date.now());
      const received: EventSourceMessage[] = [];
      const parser = createParser({
        onEvent: (message) => received.push(message),
        maxBufferSize: MAX_EVENT_BYTES,
      });
      const handle = (message: EventSourceMessage) => {
        // Busy handling what came is not silence (a large tick's events take many slices).
        silence.heard(Date.now());
        if (message.id) lastEventId = message.id;
        if (message.event === STREAM_OPENED_EVENT) {
          attempt = 0;
          hub.opened(openedOf(message.data).resumed);
          return;
        }
        const event = message.event ? parseEvent(message.event, message.data) : null;
        if (event) hub.emit(event);
      };
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        silence.heard(Date.now());
        parser.feed(value);
        await handleInSlices(received.splice(0), handle);
      }
    } catch {
      return 'ended';
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', stop);
      controller.abort();
    }
  };

  const loop = async () => {
    while (!signal.aborted) {
      const outcome = await once();
      if (signal.aborted) return;
      if (outcome === 'unauthorized') {
        hub.unauthorized();
        return;
      }
      attempt += 1;
      const delay = backoffMs(attempt);
      hub.lost(Date.now() + delay, attempt);
      await wait(delay, signal, hub);
    }
  };
  void loop();
}

/** Handles `messages` in order, letting the page paint (a macrotask) whenever a slice ran SLICE_MS. */
export async function handleInSlices<T>(messages: readonly T[], handle: (message: T) => void): Promise<void> {
  let sliceStart = performance.now();
  for (const message of messages) {
    if (performance.now() - sliceStart >= SLICE_MS) {
      await nextTask();
      sliceStart = performance.now();
    }
    handle(message);
  }
}

/** A new task, not a microtask (which would run before the page paints); setTimeout(0) is clamped to 4 ms once nested. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function openedOf(data: string): StreamOpened {
  try {
    return { resumed: (JSON.parse(data) as Partial<StreamOpened>).resumed === true };
  } catch {
    return { resumed: false };
  }
}

/** Sleeps the backoff; "Retry now" (hub.retryNow) or an abort ends it early. */
function wait(ms: number, signal: AbortSignal, hub: EventHub): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      hub.setRetryWaker(null);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    hub.setRetryWaker(done);
  });
}
