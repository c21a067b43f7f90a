// File RPCs over the live connection (not the queue): per-call timeout, fast failure when the node
// is offline or goes away mid-call.
import { randomBytes } from 'node:crypto';
import type { MasterMessage, RpcRequest } from '../../../agent/protocol.js';
import { FleetError, isErrorCode } from '../../contract/errors.js';
import type { AgentLinks } from '../gateway/links.js';

interface Pending {
  nodeId: string;
  resolve: (value: unknown) => void;
  reject: (error: FleetError) => void;
  timer: NodeJS.Timeout;
}

export const DEFAULT_RPC_TIMEOUT_MS = 15_000;

export class FileRpc {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly links: AgentLinks) {}

  call(nodeId: string, request: RpcRequest, timeoutMs = DEFAULT_RPC_TIMEOUT_MS): Promise<unknown> {
    if (!this.links.isConnected(nodeId)) {
      return Promise.reject(
        new FleetError('node_offline', `Node ${nodeId} is not connected; file access needs a live agent.`),
      );
    }
    const id = `rpc_${randomBytes(8).toString('hex')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new FleetError('timeout', `The agent did not answer ${request.method} within ${timeoutMs / 1000} s.`));
      }, timeoutMs);
      this.pending.set(id, { nodeId, resolve, reject, timer });
      this.links.send(nodeId, { type: 'rpc', id, ...request } as MasterMessage);
    });
  }

  onResult(
    nodeId: string,
    message: { id: string; ok: boolean; result?: unknown; error?: { code: string; message: string } },
  ) {
    const call = this.pending.get(message.id);
    if (!call || call.nodeId !== nodeId) return;
    this.pending.delete(message.id);
    clearTimeout(call.timer);
    if (message.ok) call.resolve(message.result);
    else {
      const code = message.error && isErrorCode(message.error.code) ? message.error.code : 'io_error';
      call.reject(new FleetError(code, message.error?.message ?? 'the agent reported an error'));
    }
  }

  nodeGone(nodeId: string): void {
    for (const [id, call] of this.pending) {
      if (call.nodeId !== nodeId) continue;
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.reject(new FleetError('node_offline', `Node ${nodeId} disconnected during the call.`));
    }
  }
}
