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
export const FilePreview = z.object({ path: z.string(), size: z.number(), truncated: z.boolean(), text: z.string() });
export const MakeDirectory = z.object({ id: NodeId, path: PathParam, parents: z.boolean().default(false) });
export const RenameFile = z.object({
  id: NodeId,
  from: PathParam,
  to: PathParam,
  overwrite: z.boolean().default(false),
});
export const DeleteFile = z.object({ id: NodeId, path: PathParam, recursive: Booleanish.optional() });
export const DownloadFile = z.object({ id: NodeId, path: PathParam });
export const UploadFile = z.object({
  id: NodeId,
  path: PathParam,
  overwrite: Booleanish.optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'sha256 is 64 lowercase hex digits')
    .optional(),
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
});
