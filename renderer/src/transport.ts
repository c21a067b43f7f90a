// How the renderer reaches the master: IPC through the preload bridge in the desktop app, HTTP and
// the event stream against a headless master. Same screens either way, chosen at runtime.
import type { AnyEvent, Client, InputOf, OperationName, OutputOf } from '../../main/contract/contract.js';
import { contract } from '../../main/contract/contract.js';
import { fillPath } from '../../main/contract/routes.js';
import { type CallError, type FieldIssue, type IpcResult, sendsBody } from '../../main/contract/wire.js';
import { EventHub } from './events.js';
import { runEventStream } from './sse.js';

/** An error from the master, shown with its stable code: "No node "x" exists [not_found]". */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    /** The master's message alone, for people (errors.ts userMessage). */
    readonly detail: string,
    /** bad_request: the refused input fields, for a form to mark (their paths are the API's, not words). */
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(`${detail} [${code}]`);
  }
}

/** A transport's error answer as an ApiError (issues kept only when they have the expected shape). */
function apiErrorOf(error: Partial<CallError> | undefined, fallback: string): ApiError {
  const issues = Array.isArray(error?.issues)
    ? error.issues.filter((i) => Array.isArray(i?.path) && typeof i.message === 'string')
    : [];
  return new ApiError(error?.code ?? 'internal', error?.message ?? fallback, issues);
}

/** What an upload wrote (the contract's UploadResult). */
export interface UploadResult {
  path: string;
  bytes: number;
  sha256: string;
}

export type TransferProgressHandler = (bytes: number, total: number | null) => void;

export interface UploadOptions {
  overwrite: boolean;
  onProgress: TransferProgressHandler;
  signal: AbortSignal;
  /** Names the transfer: its progress events, and pause/resume/cancel through `controlTransfer`. */
  transferId?: string;
  /** An edit's guard: save only while the file on the node is still the content that was opened. */
  expect?: { size: number; mtime: number; sha256: string };
}

/**
 * A download on its way to the user's disk, never through the page's memory. `transferId` names it in
 * `transferProgress` events. Desktop: `finished` settles when the file is saved (or the save dialog
 * was dismissed); browser: null, its download manager has the stream.
 */
export interface DownloadStarted {
  transferId: string;
  finished: Promise<'saved' | 'dismissed'> | null;
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
  /** Streams a remote file to the user's disk (desktop: a save dialog first). */
  download(nodeId: string, path: string): Promise<DownloadStarted>;
  /** Streams `file` into `path` on the node; answers what was written (size and SHA-256). */
  upload(nodeId: string, path: string, file: Blob, options: UploadOptions): Promise<UploadResult>;
  /** HTTP only: a GET of a text route of the admin server with the credential (the audit export). */
  fetchText?(path: string): Promise<string>;
  /**
   * The ws:// or wss:// URL of a socket path the master handed out (a terminal session's): the page's
   * own server in a browser; in the desktop app, whose page is file://, the shell's loopback stream
   * server, which serves terminal sockets beside file transfers.
   */
  socketUrl(path: string): Promise<string>;
}

/** `path` on `base` (an http(s) URL), as the WebSocket URL of the same place. */
export function socketUrlOf(path: string, base: string): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

type Bridge = Record<OperationName, (input: unknown) => Promise<IpcResult>> & {
  onEvent(listener: (message: AnyEvent) => void): () => void;
  streamEndpoint(): Promise<IpcResult>;
  saveFile(input: { nodeId: string; path: string; transferId: string }): Promise<IpcResult>;
};

declare global {
  interface Window {
    fleetdeck?: Bridge;
  }
}

export function ipcTransport(bridge: Bridge): Transport {
  let endpoint: Promise<{ base: string; token: string }> | null = null;
  let uploads: Promise<Transport> | null = null;
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
      if (!result.ok) throw apiErrorOf(result.error, 'The call failed.');
      return result.value as never;
    },
    events: hub,
    subscribe: (listener) => hub.onAny(listener),
    close: () => unsubscribe?.(),
    // The shell shows a save dialog and streams the file into the chosen place.
    download: async (nodeId, path) => {
      const transferId = newTransferId();
      const finished = bridge.saveFile({ nodeId, path, transferId }).then((result) => {
        if (!result.ok) throw new ApiError(result.error.code, result.error.message);
        return (result.value as { saved: boolean }).saved ? ('saved' as const) : ('dismissed' as const);
      });
      return { transferId, finished };
    },
    // Uploads go over HTTP to the shell's loopback endpoint, with a token valid for this launch.
    upload: async (nodeId, path, file, options) => (await streams()).upload(nodeId, path, file, options),
    socketUrl: async (path) => socketUrlOf(path, (await streamEndpoint()).base),
  };

  function streamEndpoint(): Promise<{ base: string; token: string }> {
    endpoint ??= bridge.streamEndpoint().then((result) => {
      if (!result.ok) throw new ApiError(result.error.code, result.error.message);
      return result.value as { base: string; token: string };
    });
    // A failed look-up is asked again next time.
    endpoint.catch(() => {
      endpoint = null;
    });
    return endpoint;
  }

  function streams(): Promise<Transport> {
    uploads ??= streamEndpoint().then(({ base, token }) => httpTransport(token, base));
    uploads.catch(() => {
      uploads = null;
    });
    return uploads;
  }
}

function contentUrl(base: string, nodeId: string, path: string, extra: Record<string, string> = {}): string {
  const query = new URLSearchParams({ path, ...extra }).toString();
  return `${base}/api/nodes/${encodeURIComponent(nodeId)}/files/content?${query}`;
}

/** The CSRF cookie the master set at sign-in, echoed on every request of a browser session. */
function csrfHeader(): Record<string, string> {
  const match = /(?:^|;\s*)fleetdeck_csrf=([^;]+)/.exec(document.cookie);
  return match ? { 'x-fleetdeck-csrf': decodeURIComponent(match[1] as string) } : {};
}

/**
 * HTTP to a headless master: with a bearer token (the admin token, an API token, the desktop's loopback
 * token), or — `token` null — the browser's session cookie, each change carrying the CSRF header.
 */
export function httpTransport(token: string | null, base = ''): Transport {
  const bearer: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const headers = () => (token === null ? csrfHeader() : bearer);
  const closed = new AbortController();
  // Opened on the first handler, so a transport made only to check a token never streams.
  const hub: EventHub = new EventHub(() => runEventStream(`${base}/api/events`, bearer, hub, closed.signal));
  const transport: Transport = {
    kind: 'http',
    socketUrl: async (path) => socketUrlOf(path, base || location.href),
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
        headers: hasBody ? { ...headers(), 'content-type': 'application/json' } : headers(),
        body: hasBody ? JSON.stringify(values) : undefined,
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        throw apiErrorOf((body as { error?: CallError }).error, `HTTP ${response.status}`);
      }
      return body as never;
    },
    events: hub,
    subscribe: (listener) => hub.onAny(listener),
    close: () => closed.abort(),
    async fetchText(path) {
      const response = await fetch(`${base}${path}`, { headers: headers() });
      if (!response.ok) {
        const error = ((await response.json().catch(() => ({}))) as { error?: CallError }).error;
        throw new ApiError(error?.code ?? 'internal', error?.message ?? `HTTP ${response.status}`);
      }
      return response.text();
    },
    async download(nodeId, path) {
      // A navigation, not a fetch: the browser's download manager writes the bytes to disk as they
      // arrive. The single-use ticket in the URL stands in for the header a navigation cannot send.
      const ticket = await transport.call('createDownloadTicket', { id: nodeId, path });
      const link = document.createElement('a');
      link.href = `${base}${ticket.url}`;
      link.download = ticket.name;
      link.rel = 'noopener';
      document.body.append(link);
      link.click();
      link.remove();
      return { transferId: ticket.transferId, finished: null };
    },
    upload(nodeId, path, file, { overwrite, onProgress, signal, transferId, expect }) {
      const query: Record<string, string> = {};
      if (overwrite) query.overwrite = 'true';
      if (transferId) query.transferId = transferId;
      if (expect) {
        query.expectSize = String(expect.size);
        query.expectMtime = String(expect.mtime);
        query.expectSha256 = expect.sha256;
      }
      // XMLHttpRequest: fetch cannot report upload progress.
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('PUT', contentUrl(base, nodeId, path, query));
        for (const [name, value] of Object.entries(headers())) xhr.setRequestHeader(name, value);
        xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
        xhr.onload = () => {
          if (xhr.status >= 200 && xhr.status < 300) return resolve(JSON.parse(xhr.responseText) as UploadResult);
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
  return transport;
}

/** A transfer id the page picks (16 hex digits), to follow and control its transfer. */
export function newTransferId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function clientOf(transport: Transport): Client {
  return new Proxy({} as Client, {
    get: (_target, name: string) => (input: unknown) => transport.call(name as OperationName, (input ?? {}) as never),
  });
}
