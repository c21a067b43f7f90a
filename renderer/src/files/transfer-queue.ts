// The transfer queue: every upload, download and node-to-node copy the user started, with speed, ETA,
// pause, resume and cancel. Uploads wait their turn (a few run at once, the rest queue in order);
// downloads and copies run on the master and report through `transferProgress` and `copyProgress`
// events. One store per transport, read with useSyncExternalStore, so it outlives the Files screen.
import type { EventOf } from '../../../main/contract/contract';
import type { Transport } from '../transport';
import { ApiError, clientOf, newTransferId } from '../transport';

export type TransferKind = 'upload' | 'download' | 'copy';
export type TransferState = 'queued' | 'running' | 'paused' | 'done' | 'failed' | 'cancelled';

export interface TransferItem {
  /** The transfer id (uploads, downloads) or the copy id. */
  key: string;
  kind: TransferKind;
  name: string;
  /** Where it goes: "web-1:/srv/www", shown under the name. */
  where: string;
  bytes: number;
  total: number | null;
  rate: number;
  eta: number | null;
  state: TransferState;
  /** What went wrong, as the error the master answered (shown in user words by the panel). */
  error: ApiError | null;
}

/** Uploads sent at once; more wait in order. */
export const PARALLEL_UPLOADS = 3;
const RATE_WINDOW_MS = 5_000;

export interface UploadRequest {
  nodeId: string;
  path: string;
  file: Blob;
  name: string;
  where: string;
  overwrite: boolean;
  /** Called when it is on the node (refresh the listing), or with the refusal. */
  settled?: (error: ApiError | null) => void;
}

interface UploadJob extends UploadRequest {
  abort: AbortController;
  /** Sent to the master (before that, pause and cancel need no one but the queue). */
  started: boolean;
}

/** Speed over the last few seconds, so a pause or a slow start does not drag the figure for long. */
class SpeedMeter {
  private samples: Array<{ at: number; bytes: number }> = [];

  sample(bytes: number, now = Date.now()): number {
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && (this.samples[0] as { at: number }).at < now - RATE_WINDOW_MS)
      this.samples.shift();
    const first = this.samples[0] as { at: number; bytes: number };
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? Math.max(0, (bytes - first.bytes) / seconds) : 0;
  }

  reset(): void {
    this.samples = [];
  }
}

const isFinished = (state: TransferState) => state === 'done' || state === 'failed' || state === 'cancelled';

export class TransferQueue {
  private items: TransferItem[] = [];
  private readonly uploads = new Map<string, UploadJob>();
  private readonly meters = new Map<string, SpeedMeter>();
  private readonly listeners = new Set<() => void>();
  private readonly client;

  constructor(private readonly transport: Transport) {
    this.client = clientOf(transport);
    transport.events.on('transferProgress', (event) => this.onTransferProgress(event));
    transport.events.on('copyProgress', (event) => this.onCopyProgress(event));
    void this.loadCopies();
  }

  /** The master's copies (kept in its store): those started before this page, or before a restart
   * of the master (interrupted ones say so), join the queue. */
  private async loadCopies(): Promise<void> {
    try {
      const [copies, nodes] = await Promise.all([this.client.listCopies({}), this.client.listNodes({})]);
      const names = new Map(nodes.map((n) => [n.id, n.name]));
      for (const copy of [...copies].reverse()) {
        const slash = copy.to.path.lastIndexOf('/');
        const where = `${names.get(copy.to.nodeId) ?? copy.to.nodeId}:${copy.to.path.slice(0, Math.max(1, slash))}`;
        const name = copy.from.path.slice(copy.from.path.lastIndexOf('/') + 1) || copy.from.path;
        this.followCopy(copy, name, where);
      }
    } catch {
      // Not worth a message: the queue still follows every copy from now on.
    }
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): readonly TransferItem[] => this.items;

  /** Queues an upload; it starts when fewer than PARALLEL_UPLOADS are running. */
  upload(request: UploadRequest): string {
    const key = newTransferId();
    this.uploads.set(key, { ...request, abort: new AbortController(), started: false });
    this.add({ key, kind: 'upload', name: request.name, where: request.where, total: request.file.size });
    this.pump();
    return key;
  }

  /** Starts a download to the user's disk and follows it. */
  async download(nodeId: string, path: string, name: string, where: string): Promise<void> {
    const started = await this.transport.download(nodeId, path);
    this.add({ key: started.transferId, kind: 'download', name, where, total: null, state: 'running' });
    started.finished?.then(
      (outcome) =>
        outcome === 'dismissed' ? this.remove(started.transferId) : this.patch(started.transferId, { state: 'done' }),
      (error: unknown) => this.failed(started.transferId, error),
    );
  }

  /** Follows a copy the master started (its events carry the rest). */
  followCopy(copy: EventOf<'copyProgress'>, name: string, where: string): void {
    if (!this.items.some((item) => item.key === copy.id)) {
      this.add({ key: copy.id, kind: 'copy', name, where, total: copy.totalBytes });
    }
    this.onCopyProgress(copy);
  }

  async pause(key: string): Promise<void> {
    await this.control(key, 'pause');
  }

  async resume(key: string): Promise<void> {
    await this.control(key, 'resume');
  }

  async cancel(key: string): Promise<void> {
    await this.control(key, 'cancel');
  }

  clearFinished(): void {
    this.set(this.items.filter((item) => !isFinished(item.state)));
  }

  private async control(key: string, action: 'pause' | 'resume' | 'cancel'): Promise<void> {
    const item = this.items.find((i) => i.key === key);
    if (!item || isFinished(item.state)) return;
    const job = this.uploads.get(key);
    if (job && !job.started) {
      // Not sent yet: it keeps its place (paused) or leaves the queue; nothing to ask the master.
      if (action === 'cancel') {
        this.uploads.delete(key);
        this.patch(key, { state: 'cancelled' });
        job.settled?.(new ApiError('cancelled', 'cancelled'));
      } else this.patch(key, { state: action === 'pause' ? 'paused' : 'queued' });
      this.pump();
      return;
    }
    if (job && action === 'cancel') job.abort.abort();
    if (item.kind === 'copy') {
      this.onCopyProgress(await this.client.controlCopy({ id: key, action }));
      return;
    }
    await this.client.controlTransfer({ id: key, action }).catch((error: unknown) => {
      // It ended meanwhile: its final event or answer says how.
      if (!(error instanceof ApiError && error.code === 'not_found')) throw error;
    });
    if (action !== 'cancel') {
      this.meters.get(key)?.reset();
      this.patch(key, { state: action === 'pause' ? 'paused' : 'running', rate: 0, eta: null });
    } else this.patch(key, { state: 'cancelled', rate: 0, eta: null });
  }

  /** Starts queued uploads, in order, while fewer than PARALLEL_UPLOADS run. */
  private pump(): void {
    const sending = [...this.uploads.values()].filter((job) => job.started).length;
    let free = PARALLEL_UPLOADS - sending;
    for (const item of this.items) {
      if (free <= 0) break;
      const job = this.uploads.get(item.key);
      if (!job || job.started || item.state !== 'queued') continue;
      free--;
      void this.send(item.key, job);
    }
  }

  private async send(key: string, job: UploadJob): Promise<void> {
    job.started = true;
    this.patch(key, { state: 'running' });
    try {
      await this.transport.upload(job.nodeId, job.path, job.file, {
        overwrite: job.overwrite,
        signal: job.abort.signal,
        transferId: key,
        onProgress: (bytes, total) => this.progress(key, bytes, total),
      });
      this.patch(key, { state: 'done', bytes: job.file.size, rate: 0, eta: 0 });
      job.settled?.(null);
    } catch (error) {
      const apiError = this.failed(key, error);
      job.settled?.(apiError);
    } finally {
      this.uploads.delete(key);
      this.pump();
    }
  }

  private onTransferProgress(event: EventOf<'transferProgress'>): void {
    const item = this.items.find((i) => i.key === event.id);
    if (!item || isFinished(item.state)) return;
    // Uploads count what the browser sent (XMLHttpRequest); the event is the master's view.
    if (item.kind === 'upload') return;
    if (event.error) {
      this.failed(event.id, new ApiError(event.error.code, event.error.message));
      return;
    }
    this.progress(event.id, event.bytes, event.total);
    // The browser's download ends with the master's last event; the desktop's when the file is saved.
    const state = event.done && this.transport.kind === 'http' ? 'done' : event.paused ? 'paused' : 'running';
    this.patch(event.id, { state: item.state === 'paused' && !event.done ? 'paused' : state });
  }

  private onCopyProgress(copy: EventOf<'copyProgress'>): void {
    const item = this.items.find((i) => i.key === copy.id);
    if (!item) return;
    // Interrupted (its master stopped while it ran) is a failure the panel words: "start it again".
    const state: TransferState =
      copy.state === 'preparing' ? 'running' : copy.state === 'interrupted' ? 'failed' : copy.state;
    this.patch(copy.id, {
      bytes: copy.bytes,
      total: copy.totalBytes,
      rate: copy.rateBytesPerSec,
      eta: copy.etaSec,
      state,
      error: copy.error && state === 'failed' ? new ApiError(copy.error.code, copy.error.message) : null,
    });
  }

  private progress(key: string, bytes: number, total: number | null): void {
    let meter = this.meters.get(key);
    if (!meter) {
      meter = new SpeedMeter();
      this.meters.set(key, meter);
    }
    const rate = meter.sample(bytes);
    const eta = total !== null && rate > 0 ? Math.max(0, (total - bytes) / rate) : null;
    this.patch(key, { bytes, total, rate, eta });
  }

  private failed(key: string, error: unknown): ApiError {
    const apiError = error instanceof ApiError ? error : new ApiError('io_error', (error as Error).message);
    const cancelled = apiError.code === 'cancelled';
    this.patch(key, { state: cancelled ? 'cancelled' : 'failed', error: cancelled ? null : apiError, rate: 0 });
    return apiError;
  }

  private add(item: Partial<TransferItem> & Pick<TransferItem, 'key' | 'kind' | 'name' | 'where' | 'total'>): void {
    this.set([
      ...this.items,
      { bytes: 0, rate: 0, eta: null, state: 'queued', error: null, ...item } satisfies TransferItem,
    ]);
  }

  private remove(key: string): void {
    this.set(this.items.filter((item) => item.key !== key));
  }

  private patch(key: string, patch: Partial<TransferItem>): void {
    this.set(this.items.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }

  private set(items: TransferItem[]): void {
    this.items = items;
    for (const listener of this.listeners) listener();
  }
}

const queues = new WeakMap<Transport, TransferQueue>();

/** The queue of this transport (made on first use). */
export function transferQueueOf(transport: Transport): TransferQueue {
  let queue = queues.get(transport);
  if (!queue) {
    queue = new TransferQueue(transport);
    queues.set(transport, queue);
  }
  return queue;
}
