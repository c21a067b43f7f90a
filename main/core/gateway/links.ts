// How the core reaches nodes. The queue, file RPCs, transfers and token deliveries send through one
// router, which alone knows that the built-in local node is served in-process and every other node
// through its connection on the gateway.
import type { MasterMessage } from '../../../agent/protocol.js';
import { LOCAL_NODE_ID } from '../local/local-node.js';

/** What the queue, file RPCs and token deliveries need: is the node here, and a message to it. */
export interface AgentLinks {
  isConnected(nodeId: string): boolean;
  send(nodeId: string, message: MasterMessage): boolean;
}

/** Transfers also send file data, and wait while the node's socket has much of it queued. */
export interface FileLinks extends AgentLinks {
  sendBinary(nodeId: string, frame: Buffer): boolean;
  bufferedAmount(nodeId: string): number;
}

/** The in-process end of the local node (core/local/local-node.ts). */
export interface LocalLink {
  send(message: MasterMessage): boolean;
  sendBinary(frame: Buffer): boolean;
}

/**
 * The one router. It is built before the gateway and the local node (they call back into the parts
 * that send through it), which are attached once they exist; until then no node is reachable.
 */
export class NodeLinks implements FileLinks {
  private gateway: FileLinks | null = null;
  private local: FileLinks | null = null;

  /** `local` null where the master has none (shared mode): the local node's id then reaches nothing. */
  attach(gateway: FileLinks, local: LocalLink | null): void {
    this.gateway = gateway;
    this.local = local && inProcess(local);
  }

  isConnected(nodeId: string): boolean {
    return this.endFor(nodeId)?.isConnected(nodeId) ?? false;
  }

  send(nodeId: string, message: MasterMessage): boolean {
    return this.endFor(nodeId)?.send(nodeId, message) ?? false;
  }

  sendBinary(nodeId: string, frame: Buffer): boolean {
    return this.endFor(nodeId)?.sendBinary(nodeId, frame) ?? false;
  }

  bufferedAmount(nodeId: string): number {
    return this.endFor(nodeId)?.bufferedAmount(nodeId) ?? 0;
  }

  private endFor(nodeId: string): FileLinks | null {
    return nodeId === LOCAL_NODE_ID ? this.local : this.gateway;
  }
}

/** The local node is always there while the master runs, and nothing queues on its way. */
function inProcess(local: LocalLink): FileLinks {
  return {
    isConnected: () => true,
    send: (_nodeId, message) => local.send(message),
    sendBinary: (_nodeId, frame) => local.sendBinary(frame),
    bufferedAmount: () => 0,
  };
}
