// The agent side of files: answers file RPCs and runs transfers over one connection's channel.
import type { Capabilities, MasterMessage } from '../protocol.js';
import { Confinement, type ConfinementOptions } from './confine.js';
import { FileError } from './errors.js';
import { FileService } from './service.js';
import { AgentTransfers, type TransferChannel } from './transfers.js';

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

  /** Returns false for messages that are not about files. */
  handle(message: MasterMessage): boolean {
    switch (message.type) {
      case 'rpc':
        void this.answer(message);
        return true;
      case 'download':
        void this.transfers.download(message);
        return true;
      case 'upload':
        void this.transfers.upload(message);
        return true;
      case 'upload-end':
        void this.transfers.finishUpload(message.id);
        return true;
      case 'transfer-ack':
        this.transfers.ack(message.id, message.bytes);
        return true;
      case 'transfer-cancel':
        void this.transfers.cancel(message.id);
        return true;
      default:
        return false;
    }
  }

  binary(data: Buffer): void {
    this.transfers.receive(data);
  }

  disconnected(): Promise<void> {
    return this.transfers.cancelAll();
  }

  private async answer(message: Extract<MasterMessage, { type: 'rpc' }>): Promise<void> {
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
