// The agent side of files: answers file RPCs and runs transfers over one connection's channel.
import type { Capabilities, FileRpcRequest, MasterMessage } from '../protocol.js';
import { unhandled } from '../unhandled.js';
import { Confinement, type ConfinementOptions } from './confine.js';
import { FileError } from './errors.js';
import { FileService } from './service.js';
import { AgentTransfers, type TransferChannel } from './transfers.js';

/** A file RPC (the other RPCs go to their own parts). */
type FileRpcMessage = { type: 'rpc'; id: string } & FileRpcRequest;

/** What the master sends about files: RPCs and the control messages of transfers. */
export type FileMessage =
  | FileRpcMessage
  | Extract<MasterMessage, { type: 'download' | 'upload' | 'upload-end' | 'transfer-ack' | 'transfer-cancel' }>;

export class FileEndpoint {
  private readonly service: FileService;
  private readonly transfers: AgentTransfers;

  constructor(
    capabilities: Capabilities,
    private readonly channel: TransferChannel,
    options: ConfinementOptions = {},
  ) {
    const confinement = new Confinement(capabilities.files ? capabilities.roots : [], options);
    this.service = new FileService(confinement, capabilities);
    this.transfers = new AgentTransfers(confinement, this.service, channel);
  }

  /** Exhaustive over `FileMessage`: a file message added to the protocol fails to compile until handled. */
  handle(message: FileMessage): void {
    switch (message.type) {
      case 'rpc':
        void this.answer(message);
        return;
      case 'download':
        void this.transfers.download(message);
        return;
      case 'upload':
        void this.transfers.upload(message);
        return;
      case 'upload-end':
        void this.transfers.finishUpload(message.id);
        return;
      case 'transfer-ack':
        this.transfers.ack(message.id, message.bytes);
        return;
      case 'transfer-cancel':
        void this.transfers.cancel(message.id);
        return;
      default:
        unhandled(message, 'file endpoint');
    }
  }

  binary(data: Buffer): void {
    this.transfers.receive(data);
  }

  disconnected(): Promise<void> {
    return this.transfers.cancelAll();
  }

  private async answer(message: FileRpcMessage): Promise<void> {
    try {
      const result = await this.service.handle(message);
      this.channel.sendJson({ type: 'rpc-result', id: message.id, ok: true, result });
    } catch (error) {
      const e = error instanceof FileError ? error : new FileError('io_error', (error as Error).message);
      this.channel.sendJson({
        type: 'rpc-result',
        id: message.id,
        ok: false,
        error: { code: e.code, message: e.message },
      });
    }
  }
}
