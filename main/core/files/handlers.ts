// Contract handlers for the remote file browser: each is an RPC to the node's agent.
import type { FileEntry } from '../../../agent/protocol.js';
import type { Handlers } from '../../contract/contract.js';
import type { FileRpc } from './file-rpc.js';

type FileHandlerNames = 'listFiles' | 'statFile' | 'previewFile' | 'makeDirectory' | 'renameFile' | 'deleteFile';

export function fileHandlers(rpc: FileRpc): Pick<Handlers, FileHandlerNames> {
  return {
    listFiles: async ({ id, path, cursor, limit }) =>
      (await rpc.call(id, { method: 'files.list', params: { path, cursor, limit } })) as Awaited<
        ReturnType<Handlers['listFiles']>
      >,
    statFile: async ({ id, path }) => (await rpc.call(id, { method: 'files.stat', params: { path } })) as FileEntry,
    previewFile: async ({ id, path, maxBytes }) =>
      (await rpc.call(id, { method: 'files.preview', params: { path, maxBytes } })) as Awaited<
        ReturnType<Handlers['previewFile']>
      >,
    makeDirectory: async ({ id, path, parents }) =>
      (await rpc.call(id, { method: 'files.mkdir', params: { path, parents } })) as FileEntry,
    renameFile: async ({ id, from, to, overwrite }) =>
      (await rpc.call(id, { method: 'files.rename', params: { from, to, overwrite } })) as FileEntry,
    deleteFile: async ({ id, path, recursive }) => {
      await rpc.call(id, { method: 'files.delete', params: { path, recursive: recursive ?? false } });
      return { ok: true as const };
    },
  };
}
