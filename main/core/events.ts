// The core's typed event bus. Transports subscribe to it and forward contract events.
import type { AnyEvent, EventName, EventOf } from '../contract/contract.js';

export type Listener = (event: AnyEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  emit<K extends EventName>(event: K, data: EventOf<K>): void {
    const message = { event, data } as AnyEvent;
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch {
        // A failing subscriber must not break the core or other subscribers.
      }
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
