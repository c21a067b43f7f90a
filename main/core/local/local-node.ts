// The built-in local node: the master's own machine, served in-process. It is the agent's own work
// (agent/agent-work.ts: runner, journal, files, metrics, hello, dispatch) without a socket, so a new
// install shows one working node at first start and behaves like any other.
import os from 'node:os';
import { join } from 'node:path';
import { AgentWork } from '../../../agent/agent-work.js';
import type { AgentLogger } from '../../../agent/log.js';
import { DEFAULT_NET_EXCLUDE } from '../../../agent/metrics/interface-filter.js';
import { processListSupported } from '../../../agent/processes/endpoint.js';
import type { AgentMessage, HelloMessage, MasterMessage } from '../../../agent/protocol.js';
import type { Logger } from '../log.js';
import type { NodeRegistry } from '../nodes/registry.js';

export const LOCAL_NODE_ID = 'local';

function agentLogger(log: Logger): AgentLogger {
  return {
    debug: (m, f) => log.debug(f ?? {}, m),
    info: (m, f) => log.info(f ?? {}, m),
    warn: (m, f) => log.warn(f ?? {}, m),
    error: (m, f) => log.error(f ?? {}, m),
  };
}

export class LocalNode {
  private readonly work: AgentWork;

  constructor(
    dataDir: string,
    deliver: (message: AgentMessage) => void,
    deliverBinary: (data: Buffer) => void,
    log: Logger,
  ) {
    this.work = new AgentWork({
      journalDir: join(dataDir, 'local-node', 'journal'),
      capabilities: {
        exec: true,
        files: true,
        filesWrite: true,
        roots: [os.homedir()],
        guardedWrites: true,
        processes: processListSupported(),
        probes: true,
      },
      concurrency: 8,
      net: { include: [], exclude: DEFAULT_NET_EXCLUDE },
      metricsIntervalMs: 2_000,
      // Messages cross to the master on the next tick, as they would over a socket.
      channel: {
        send: (message) => {
          setImmediate(() => deliver(message));
          return true;
        },
        sendBinary: (frame) => setImmediate(() => deliverBinary(frame)),
        bufferedAmount: () => 0,
      },
      // No adoptToken: the local node has no token (rotating it is refused), so none is ever sent.
      log: agentLogger(log),
    });
  }

  sendBinary(frame: Buffer): boolean {
    this.work.binary(frame);
    return true;
  }

  hello(): HelloMessage {
    return this.work.hello();
  }

  send(message: MasterMessage): boolean {
    // welcome and error are about a connection; the in-process node has none.
    if (message.type === 'welcome' || message.type === 'error') return true;
    // The master's own machine runs the master's code: there is no agent file to upgrade.
    if (message.type === 'upgrade') return false;
    this.work.handle(message);
    return true;
  }

  async start(registry: NodeRegistry): Promise<void> {
    const existing = await registry.list();
    if (!existing.some((n) => n.id === LOCAL_NODE_ID)) {
      await registry.create({ id: LOCAL_NODE_ID, name: `${os.hostname()} (this master)`, kind: 'local' });
    }
    await registry.markOnline(LOCAL_NODE_ID, this.hello(), 'in-process', 'master started');
    this.work.connected();
    this.work.start();
  }

  async stop(registry: NodeRegistry): Promise<void> {
    await this.work.stop();
    await registry.markOffline(LOCAL_NODE_ID, 'master stopped');
    this.work.close();
  }
}
