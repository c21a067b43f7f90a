// Node-to-node copies in the store (migration 28): written when a copy starts, at each state change
// and every few seconds of progress, so the transfer queue lists them after a master restart. A copy
// its master was running when it stopped is marked `interrupted` when that master starts again (the
// same instance id: the same data directory), with the hidden folder it may have left named.

import type { FileCopiesTable } from '../store/migrations/28-files.js';
import type { Db } from '../store/schema.js';
import type { CopyView } from './copies.js';

/** Progress is written at most this often (state changes at once). */
export const COPY_PERSIST_EVERY_MS = 2_000;
/** Finished copies listed (and kept) per instance, newest first. */
export const COPIES_KEPT = 50;

const UNFINISHED = ['preparing', 'running', 'paused'] as const;

function rowOf(view: CopyView, instanceId: string, now: number): FileCopiesTable {
  return {
    id: view.id,
    instance_id: instanceId,
    from_node: view.from.nodeId,
    from_path: view.from.path,
    to_node: view.to.nodeId,
    to_path: view.to.path,
    kind: view.kind,
    state: view.state,
    bytes: view.bytes,
    total_bytes: view.totalBytes,
    files: view.files,
    total_files: view.totalFiles,
    skipped: view.skipped,
    error_code: view.error?.code ?? null,
    error_message: view.error?.message ?? null,
    started_at: view.startedAt,
    finished_at: view.finishedAt,
    updated_at: now,
  };
}

export function viewOf(row: FileCopiesTable): CopyView {
  return {
    id: row.id,
    from: { nodeId: row.from_node, path: row.from_path },
    to: { nodeId: row.to_node, path: row.to_path },
    kind: row.kind,
    state: row.state as CopyView['state'],
    bytes: Number(row.bytes),
    totalBytes: row.total_bytes === null ? null : Number(row.total_bytes),
    files: row.files,
    totalFiles: row.total_files,
    skipped: row.skipped,
    rateBytesPerSec: 0,
    etaSec: null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
    startedAt: Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

/** The hidden folder a folder copy stages into (copies.ts makes it; named when one is interrupted). */
export function stagingPath(toPath: string, id: string): string {
  const slash = toPath.lastIndexOf('/');
  const dir = slash <= 0 ? '/' : toPath.slice(0, slash);
  const name = toPath.slice(slash + 1);
  return `${dir === '/' ? '' : dir}/.${name}.fleetdeck-copy-${id.slice(5)}`;
}

export class CopyStore {
  constructor(
    private readonly db: Db,
    private readonly instanceId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async save(view: CopyView): Promise<void> {
    const row = rowOf(view, this.instanceId, this.now());
    const { id: _id, ...changes } = row;
    const updated = await this.db.updateTable('file_copies').set(changes).where('id', '=', view.id).executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) await this.db.insertInto('file_copies').values(row).execute();
  }

  /** At start: this instance's copies that were running when it stopped end as interrupted. */
  async interruptStale(): Promise<number> {
    const stale = await this.db
      .selectFrom('file_copies')
      .selectAll()
      .where('instance_id', '=', this.instanceId)
      .where('state', 'in', [...UNFINISHED])
      .execute();
    const at = this.now();
    for (const row of stale) {
      const leftover = row.kind === 'directory' ? stagingPath(row.to_path, row.id) : null;
      await this.db
        .updateTable('file_copies')
        .set({
          state: 'interrupted',
          error_code: 'interrupted',
          error_message: leftover
            ? `The master stopped while this copy ran; start it again (${leftover} may be left on the destination; delete it).`
            : 'The master stopped while this copy ran; start it again.',
          finished_at: at,
          updated_at: at,
        })
        .where('id', '=', row.id)
        .execute();
    }
    return stale.length;
  }

  /** This instance's copies, newest first: the running ones and the last COPIES_KEPT finished. */
  async list(): Promise<CopyView[]> {
    const rows = await this.db
      .selectFrom('file_copies')
      .selectAll()
      .where('instance_id', '=', this.instanceId)
      .orderBy('started_at', 'desc')
      .limit(COPIES_KEPT + 100)
      .execute();
    const open = rows.filter((r) => r.finished_at === null);
    const finished = rows.filter((r) => r.finished_at !== null).slice(0, COPIES_KEPT);
    return [...open, ...finished].map(viewOf);
  }

  /** Forgets finished copies beyond the newest COPIES_KEPT. */
  async prune(): Promise<void> {
    const keep = await this.db
      .selectFrom('file_copies')
      .select('started_at')
      .where('instance_id', '=', this.instanceId)
      .where('finished_at', 'is not', null)
      .orderBy('started_at', 'desc')
      .offset(COPIES_KEPT - 1)
      .limit(1)
      .executeTakeFirst();
    if (!keep) return;
    await this.db
      .deleteFrom('file_copies')
      .where('instance_id', '=', this.instanceId)
      .where('finished_at', 'is not', null)
      .where('started_at', '<', Number(keep.started_at))
      .execute();
  }
}
