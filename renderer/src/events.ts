// One event stream per transport, fanned out in the renderer: screens register typed handlers with
// `on(event, handler)`, and the connection's state (open, lost and retrying, unauthorized) is
// observable so the UI can say when what it shows is no longer live.
import type { AnyEvent, EventName, EventOf } from '../../main/contract/contract.js';

export type EventHandler<K extends EventName> = (data: EventOf<K>) => void;

export type Connection =
  | { state: 'connecting' }
  | { state: 'open'; since: number }
  /** `since`: when the outage began (kept across retries); `retryAt`: the next attempt. */
  | { state: 'lost'; since: number; retryAt: number; attempt: number }
  | { state: 'unauthorized' };

/** After a reconnect: `resumed` when the server replayed every missed event. */
export type OpenedHandler = (opened: { first: boolean; resumed: boolean }) => void;

type AnyHandler = (data: never) => void;

export class EventHub {
  private readonly handlers = new Map<EventName, Set<AnyHandler>>();
  private readonly allHandlers = new Set<(message: AnyEvent) => void>();
  private readonly connectionHandlers = new Set<(connection: Connection) => void>();
  private readonly openedHandlers = new Set<OpenedHandler>();
  private current: Connection = { state: 'connecting' };
  private everOpened = false;
  private retryWaker: (() => void) | null = null;

  /** @param start runs once, on the first registration of any handler (one stream, opened lazily). */
  constructor(private start: (() => void) | null = null) {}

  on<K extends EventName>(event: K, handler: EventHandler<K>): () => void {
    this.started();
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as AnyHandler);
    return () => set.delete(handler as AnyHandler);
  }

  /** Every event (screens that route many kinds themselves). */
  onAny(handler: (message: AnyEvent) => void): () => void {
    this.started();
    this.allHandlers.add(handler);
    return () => this.allHandlers.delete(handler);
  }

  onConnection(handler: (connection: Connection) => void): () => void {
    this.started();
    this.connectionHandlers.add(handler);
    return () => this.connectionHandlers.delete(handler);
  }

  onOpened(handler: OpenedHandler): () => void {
    this.started();
    this.openedHandlers.add(handler);
    return () => this.openedHandlers.delete(handler);
  }

  get connection(): Connection {
    return this.current;
  }

  emit(message: AnyEvent): void {
    for (const handler of this.handlers.get(message.event) ?? []) guarded(() => handler(message.data as never));
    for (const handler of this.allHandlers) guarded(() => handler(message));
  }

  /** The stream (re)opened; `resumed` as the server said. */
  opened(resumed: boolean): void {
    const first = !this.everOpened;
    this.everOpened = true;
    this.setConnection({ state: 'open', since: Date.now() });
    for (const handler of this.openedHandlers) guarded(() => handler({ first, resumed }));
  }

  /** The stream failed; the next attempt is at `retryAt`. */
  lost(retryAt: number, attempt: number): void {
    const since = this.current.state === 'lost' ? this.current.since : Date.now();
    this.setConnection({ state: 'lost', since, retryAt, attempt });
  }

  unauthorized(): void {
    this.setConnection({ state: 'unauthorized' });
  }

  /** Lets the stream's backoff wait be cut short ("Retry now"). */
  setRetryWaker(waker: (() => void) | null): void {
    this.retryWaker = waker;
  }

  retryNow(): void {
    this.retryWaker?.();
  }

  private setConnection(connection: Connection): void {
    this.current = connection;
    for (const handler of this.connectionHandlers) guarded(() => handler(connection));
  }

  private started(): void {
    const start = this.start;
    this.start = null;
    start?.();
  }
}

/** A failing handler must not keep the others from their event. */
function guarded(run: () => void): void {
  try {
    run();
  } catch (error) {
    console.error(error);
  }
}
