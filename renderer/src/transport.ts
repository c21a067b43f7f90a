// How the renderer reaches the master: IPC through the preload bridge in the desktop app, HTTP and
// the event stream against a headless master. Same screens either way, chosen at runtime.
import type { AnyEvent, Client, InputOf, OperationName, OutputOf } from '../../main/contract/contract';
import { contract } from '../../main/contract/contract';
import { fillPath } from '../../main/contract/routes';
import { type CallError, type IpcResult, sendsBody } from '../../main/contract/wire';
import { EventHub } from './events';
import { runEventStream } from './sse';

/** An error from the master, shown with its stable code: "No node "x" exists [not_found]". */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${message} [${code}]`);
  }
}

export type TransferProgressHandler = (bytes: number, total: number | null) => void;

export interface UploadOptions {
  overwrite: boolean;
  onProgress: TransferProgressHandler;
  signal: AbortSignal;
}

export interface Transport {
  kind: 'ipc' | 'http';
  call<K extends OperationName>(name: K, input: InputOf<K>): Promise<OutputOf<K>>;
  /** The one event stream of this transport, fanned out: `events.on('nodeStatus', …)`. */
  events: EventHub;
  /** Every event (for screens that route many kinds themselves); same stream as `events`. */
  subscribe(listener: (event: AnyEvent) => void): () => void;
  /** Ends the event stream (log out). */
  close(): void;
  /** Streams a remote file into a Blob, reporting progress. */
  download(nodeId: string, path: string, onProgress: TransferProgressHandler, signal: AbortSignal): Promise<Blob>;
  upload(nodeId: string, path: string, file: File, options: UploadOptions): Promise<void>;
}

type Bridge = Record<OperationName, (input: unknown) => Promise<IpcResult>> & {
  onEvent(listener: (message: AnyEvent) => void): () => void;
  streamEndpoint(): Promise<IpcResult>;
};

declare global {
  interface Window {
    fleetdeck?: Bridge;
  }
}

export function ipcTransport(bridge: Bridge): Transport {
  let endpoint: Promise<Transport> | null = null;
  let unsubscribe: (() => void) | null = null;
  // The desktop app's core is in the same process: the bridge cannot drop, so the hub is open at once.
  const hub: EventHub = new EventHub(() => {
    unsubscribe = bridge.onEvent((message) => hub.emit(message));
    hub.opened(false);
  });
  return {
    kind: 'ipc',
    async call(name, input) {
      const result = await bridge[name](input);
      if (!result.ok) throw new ApiError(result.error.code, result.error.message);
      return result.value as never;
    },
    events: hub,
    subscribe: (listener) => hub.onAny(listener),
    close: () => unsubscribe?.(),
    // Transfers go over HTTP to the shell's loopback endpoint, with a token valid for this launch.
    download: async (nodeId, path, onProgress, signal) => (await streams()).download(nodeId, path, onProgress, signal),
    upload: async (nodeId, path, file, options) => (await streams()).upload(nodeId, path, file, options),
  };

  async function streams(): Promise<Transport> {
    endpoint ??= bridge.streamEndpoint().then((result) => {
      if (!result.ok) throw new ApiError(result.error.code, result.error.message);
      const { base, token } = result.value as { base: string; token: string };
      return httpTransport(token, base);
    });
    return endpoint;
  }
}

function contentUrl(base: string, nodeId: string, path: string, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ path, ...extra }).toString();
  return `${base}/api/nodes/${encodeURIComponent(nodeId)}/files/content?${query}`;
}

async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => ({}))) as { error?: CallError };
  return new ApiError(body.error?.code ?? 'internal', body.error?.message ?? `HTTP ${response.status}`);
}

export function httpTransport(token: string, base = ''): Transport {
  const headers = { authorization: `Bearer ${token}` };
  const closed = new AbortController();
  // Opened on the first handler, so a transport made only to check a token never streams.
  const hub: EventHub = new EventHub(() => runEventStream(`${base}/api/events`, headers, hub, closed.signal));
  return {
    kind: 'http',
    async call(name, input) {
      const op = contract[name];
      const values = input as Record<string, unknown>;
      const path = fillPath(op.path, values);
      const hasBody = sendsBody(op.method);
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
        const error = (body as { error?: CallError }).error;
        throw new ApiError(error?.code ?? 'internal', error?.message ?? `HTTP ${response.status}`);
      }
      return body as never;
    },
    events: hub,
    subscribe: (listener) => hub.onAny(listener),
    close: () => closed.abort(),
    async download(nodeId, path, onProgress, signal) {
      const response = await fetch(contentUrl(base, nodeId, path), { headers, signal });
      if (!response.ok || !response.body) throw await errorOf(response);
      const total = Number(response.headers.get('content-length')) || null;
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let bytes = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.length;
        onProgress(bytes, total);
      }
      return new Blob(chunks as BlobPart[]);
    },
    upload(nodeId, path, file, { overwrite, onProgress, signal }) {
      // XMLHttpRequest: fetch cannot report upload progress.
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('PUT', contentUrl(base, nodeId, path, overwrite ? { overwrite: 'true' } : {}));
        xhr.setRequestHeader('authorization', headers.authorization);
        xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
        xhr.onload = () => {
          if (xhr.status >= 200 && xhr.status < 300) return resolve();
          let error: { code?: string; message?: string } = {};
          try {
            error = (JSON.parse(xhr.responseText) as { error: typeof error }).error ?? {};
          } catch {}
          reject(new ApiError(error.code ?? 'internal', error.message ?? `HTTP ${xhr.status}`));
        };
        xhr.onerror = () => reject(new ApiError('unavailable', 'The upload connection failed.'));
        xhr.onabort = () => reject(new ApiError('cancelled', 'Upload cancelled.'));
        signal.addEventListener('abort', () => xhr.abort());
        xhr.send(file);
      });
    },
  };
}

export function clientOf(transport: Transport): Client {
  return new Proxy({} as Client, {
    get: (_target, name: string) => (input: unknown) => transport.call(name as OperationName, (input ?? {}) as never),
  });
}
