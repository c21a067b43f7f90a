// How the renderer reaches the master: IPC through the preload bridge in the desktop app, HTTP and
// the event stream against a headless master. Same screens either way, chosen at runtime.
import type { AnyEvent, Client, InputOf, OperationName, OutputOf } from '../../main/contract/contract';
import { contract } from '../../main/contract/contract';
import { fillPath } from '../../main/contract/routes';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Transport {
  kind: 'ipc' | 'http';
  call<K extends OperationName>(name: K, input: InputOf<K>): Promise<OutputOf<K>>;
  subscribe(listener: (event: AnyEvent) => void): () => void;
}

type IpcResult = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };
type Bridge = Record<OperationName, (input: unknown) => Promise<IpcResult>> & {
  onEvent(listener: (message: AnyEvent) => void): () => void;
};

declare global {
  interface Window {
    fleetdeck?: Bridge;
  }
}

export function ipcTransport(bridge: Bridge): Transport {
  return {
    kind: 'ipc',
    async call(name, input) {
      const result = await bridge[name](input);
      if (!result.ok) throw new ApiError(result.error.code, result.error.message);
      return result.value as never;
    },
    subscribe: (listener) => bridge.onEvent(listener),
  };
}

export function httpTransport(token: string, base = ''): Transport {
  const headers = { authorization: `Bearer ${token}` };
  return {
    kind: 'http',
    async call(name, input) {
      const op = contract[name];
      const values = input as Record<string, unknown>;
      const path = fillPath(op.path, values);
      const hasBody = op.method === 'POST' || op.method === 'PATCH';
      const query = hasBody
        ? ''
        : new URLSearchParams(
            Object.entries(values)
              .filter(([key, v]) => v !== undefined && !op.path.includes(`:${key}`))
              .map(([key, v]) => [key, String(v)]),
          ).toString();
      const response = await fetch(`${base}${path}${query ? `?${query}` : ''}`, {
        method: op.method,
        headers: hasBody ? { ...headers, 'content-type': 'application/json' } : headers,
        body: hasBody ? JSON.stringify(values) : undefined,
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        const error = (body as { error?: { code: string; message: string } }).error;
        throw new ApiError(error?.code ?? 'internal', error?.message ?? `HTTP ${response.status}`);
      }
      return body as never;
    },
    subscribe(listener) {
      const controller = new AbortController();
      void streamEvents(`${base}/api/events`, headers, controller.signal, listener);
      return () => controller.abort();
    },
  };
}

/** Server-sent events over fetch (EventSource cannot send the Authorization header). Reconnects. */
async function streamEvents(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  listener: (event: AnyEvent) => void,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch(url, { headers, signal });
      if (!response.body) throw new Error('no event stream');
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) listener({ event, data: JSON.parse(data) } as AnyEvent);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

export function clientOf(transport: Transport): Client {
  return new Proxy({} as Client, {
    get: (_target, name: string) => (input: unknown) => transport.call(name as OperationName, (input ?? {}) as never),
  });
}
