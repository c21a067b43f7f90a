// Contract handlers for the remote file browser: each is an RPC to the node's agent, whose answer is
// checked against the operation's output schema before it is returned (replies.ts).
import type { Handlers } from '../../contract/contract.js';
import type { FileRpc } from './file-rpc.js';
import { checkedReply } from './replies.js';

type FileHandlerNames = 'listFiles' | 'statFile' | 'previewFile' | 'makeDirectory' | 'renameFile' | 'deleteFile';

export function fileHandlers(rpc: FileRpc): Pick<Handlers, FileHandlerNames> {
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
  };
}
