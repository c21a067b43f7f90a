// Shapes of the remote file browser in the admin contract.
import { z } from 'zod';
import { FileEntry } from '../../agent/protocol.js';
import { Booleanish, NodeId } from './schemas.js';

const PathParam = z.string().min(1).max(4096);

export const ListFiles = z.object({
  id: NodeId,
  path: PathParam,
  cursor: z.string().max(32).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
export const FileListing = z.object({
  path: z.string(),
  total: z.number(),
  entries: z.array(FileEntry),
  nextCursor: z.string().nullable(),
});
export const StatFile = z.object({ id: NodeId, path: PathParam });
export const PreviewFile = z.object({
  id: NodeId,
  path: PathParam,
  maxBytes: z.coerce
    .number()
    .int()
    .min(1)
    .max(1024 * 1024)
    .default(64 * 1024),
});
export const FilePreview = z.object({
  path: z.string(),
  size: z.number(),
  truncated: z.boolean(),
  text: z.string(),
  /** What an edit's save is guarded by (absent from agents before edit-in-place). */
  mtime: z.number().optional(),
  sha256: z.string().optional(),
});
export const MakeDirectory = z.object({ id: NodeId, path: PathParam, parents: z.boolean().default(false) });
export const RenameFile = z.object({
  id: NodeId,
  from: PathParam,
  to: PathParam,
  overwrite: z.boolean().default(false),
});
export const DeleteFile = z.object({ id: NodeId, path: PathParam, recursive: Booleanish.optional() });
export const DownloadFile = z.object({ id: NodeId, path: PathParam });
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256 is 64 lowercase hex digits');
/** A transfer id the client picks to follow and control its transfer (16 lowercase hex digits). */
const ClientTransferId = z.string().regex(/^[0-9a-f]{16}$/, 'transferId is 16 lowercase hex digits');
export const UploadFile = z
  .object({
    id: NodeId,
    path: PathParam,
    overwrite: Booleanish.optional(),
    sha256: Sha256.optional(),
    transferId: ClientTransferId.optional(),
    // An edit's guard: the file must still have this size and content (mtime names it in messages).
    expectSize: z.coerce.number().int().min(0).optional(),
    expectMtime: z.coerce.number().min(0).optional(),
    expectSha256: Sha256.optional(),
  })
  .refine(
    (v) =>
      [v.expectSize, v.expectMtime, v.expectSha256].every((x) => x === undefined) ||
      (v.expectSize !== undefined && v.expectMtime !== undefined && v.expectSha256 !== undefined),
    { message: 'expectSize, expectMtime and expectSha256 go together' },
  );
/** A short-lived, single-use URL the browser downloads from (its own download manager streams to disk). */
export const CreateDownloadTicket = z.object({ id: NodeId, path: PathParam });
export const DownloadTicket = z.object({
  /** Path on this server, no credential needed: the ticket in it is one. */
  url: z.string(),
  /** The download's id in `transferProgress` events and for `controlTransfer`. */
  transferId: z.string(),
  expiresAt: z.number(),
  name: z.string(),
  size: z.number(),
});
export const DownloadByTicket = z.object({ ticket: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a download ticket') });
export const TransferAction = z.enum(['pause', 'resume', 'cancel']);
export const ControlTransfer = z.object({ id: z.string().min(1).max(64), action: TransferAction });
export const FileLocation = z.object({ nodeId: NodeId, path: PathParam });
export const StartCopy = z.object({
  from: FileLocation,
  /** The full destination path (the new file or folder), on the same node or another. */
  to: FileLocation,
  /** Replace an existing file (a folder is never merged into an existing one). */
  overwrite: z.boolean().default(false),
});
const WireError = z.object({ code: z.string(), message: z.string() });
export const CopyView = z.object({
  id: z.string(),
  from: FileLocation,
  to: FileLocation,
  kind: z.enum(['file', 'directory']),
  /** interrupted: the master stopped while it ran (listed after the restart; start it again). */
  state: z.enum(['preparing', 'running', 'paused', 'done', 'failed', 'cancelled', 'interrupted']),
  bytes: z.number(),
  totalBytes: z.number().nullable(),
  files: z.number(),
  totalFiles: z.number().nullable(),
  /** Symlinks and special files in a copied folder, left out. */
  skipped: z.number(),
  rateBytesPerSec: z.number(),
  etaSec: z.number().nullable(),
  error: WireError.nullable(),
  startedAt: z.number(),
  finishedAt: z.number().nullable(),
});
export const UploadResult = z.object({ path: z.string(), bytes: z.number(), sha256: z.string() });
export const TransferProgress = z.object({
  id: z.string(),
  nodeId: NodeId,
  direction: z.enum(['download', 'upload']),
  path: z.string(),
  bytes: z.number(),
  total: z.number().nullable(),
  rateBytesPerSec: z.number(),
  etaSec: z.number().nullable(),
  done: z.boolean(),
  paused: z.boolean().default(false),
  /** Why it ended early (set with done), null when it did not fail. */
  error: WireError.nullable().default(null),
});
