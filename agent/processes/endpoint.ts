// The agent side of the process list: answers `processes.*` RPCs, or refuses them when the agent was
// started with --no-processes (or runs where there is no /proc).
import { FileError } from '../files/errors.js';
import type { AgentMessage, ProcessRpcRequest } from '../protocol.js';
import { ProcessLister } from './process-list.js';

export type ProcessRpc = { type: 'rpc'; id: string } & ProcessRpcRequest;

/** Whether this agent can list processes where it runs: /proc is Linux's. */
export const processListSupported = () => process.platform === 'linux';

export class ProcessEndpoint {
  private readonly lister = new ProcessLister();

  constructor(
    private readonly allowed: boolean,
    private readonly send: (message: AgentMessage) => void,
  ) {}

  async handle(message: ProcessRpc): Promise<void> {
    try {
      if (!this.allowed) {
        throw new FileError('capability_missing', 'this agent does not share its processes (--no-processes)');
      }
      const result = await this.lister.top(message.params.limit);
      this.send({ type: 'rpc-result', id: message.id, ok: true, result });
    } catch (error) {
      const e = error instanceof FileError ? error : new FileError('io_error', (error as Error).message);
      this.send({ type: 'rpc-result', id: message.id, ok: false, error: { code: e.code, message: e.message } });
    }
  }
}
