// Contract handlers for the remote file browser: each is an RPC to the node's agent, whose answer is
// checked against the operation's output schema before it is returned (replies.ts); and the master's
// own file work: download tickets, control of running transfers, node-to-node copies.
import { basename } from 'node:path';
import type { Handlers } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { FileCopies } from './copies.js';
import type { DownloadTickets } from './download-tickets.js';
import type { FileRpc } from './file-rpc.js';
import { checkedReply } from './replies.js';
import type { MasterTransfers } from './transfers.js';

type FileHandlerNames =
  | 'listFiles'
  | 'statFile'
  | 'previewFile'
  | 'makeDirectory'
  | 'renameFile'
  | 'deleteFile'
  | 'createDownloadTicket'
  | 'controlTransfer'
  | 'startCopy'
  | 'listCopies'
  | 'controlCopy';

export interface FileParts {
  rpc: FileRpc;
  transfers: MasterTransfers;
  tickets: DownloadTickets;
  copies: FileCopies;
}

export function fileHandlers({ rpc, transfers, tickets, copies }: FileParts): Pick<Handlers, FileHandlerNames> {
  return {
    listFiles: async ({ id, path, cursor, limit }) =>
      checkedReply('listFiles', id, await rpc.call(id, { method: 'files.list', params: { path, cursor, limit } })),
    statFile: async ({ id, path }) =>
      checkedReply('statFile', id, await rpc.call(id, { method: 'files.stat', params: { path } })),
    previewFile: async ({ id, path, maxBytes }) =>
      checkedReply('previewFile', id, await rpc.call(id, { method: 'files.preview', params: { path, maxBytes } })),
    makeDirectory: async ({ id, path, parents }) =>
      checkedReply('makeDirectory', id, await rpc.call(id, { method: 'files.mkdir', params: { path, parents } })),
    renameFile: async ({ id, from, to, overwrite }) =>
      checkedReply('renameFile', id, await rpc.call(id, { method: 'files.rename', params: { from, to, overwrite } })),
    deleteFile: async ({ id, path, recursive }) => {
      // The answer carries nothing the client gets: success is the reply itself.
      await rpc.call(id, { method: 'files.delete', params: { path, recursive: recursive ?? false } });
      return { ok: true as const };
    },
    createDownloadTicket: async ({ id, path }) => {
      // Refusals (missing, a folder, outside the roots) are answered here, not by a failed navigation.
      const entry = checkedReply('statFile', id, await rpc.call(id, { method: 'files.stat', params: { path } }));
      if (entry.type === 'directory') throw new FleetError('is_a_directory', `${path} is a folder; open it instead.`);
      const { ticket, transferId, expiresAt } = tickets.issue(id, path);
      return { url: `/api/downloads/${ticket}`, transferId, expiresAt, name: basename(path), size: entry.size };
    },
    controlTransfer: async ({ id, action }) => {
      if (!transfers.control(id, action)) {
        throw new FleetError('not_found', 'That transfer is not running on this master (it may have just ended).');
      }
      return { ok: true as const };
    },
    startCopy: async ({ from, to, overwrite }) => copies.start(from, to, overwrite),
    listCopies: async () => copies.list(),
    controlCopy: async ({ id, action }) => copies.control(id, action),
  };
}
