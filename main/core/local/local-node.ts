// The built-in local node: the master's own machine, served in-process. It says the same hello an
// agent would and runs commands with the agent's own runner and journal, so a new install shows one
// working node at first start and behaves like any other.
import os from 'node:os';
import { join } from 'node:path';
import { CommandJournal } from '../../../agent/commands/journal.js';
import { CommandRunner } from '../../../agent/commands/runner.js';
import { FileEndpoint } from '../../../agent/files/endpoint.js';
import { collectHostFacts } from '../../../agent/host-facts.js';
import type { AgentLogger } from '../../../agent/log.js';
import { DEFAULT_NET_EXCLUDE } from '../../../agent/metrics/interface-filter.js';
import { MetricsReporter } from '../../../agent/metrics/reporter.js';
import { createSampler } from '../../../agent/metrics/sampler.js';
import { type AgentMessage, type HelloMessage, type MasterMessage, PROTOCOL_VERSION } from '../../../agent/protocol.js';
import { VERSION } from '../../../agent/version.js';
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
  private readonly journal: CommandJournal;
  private readonly runner: CommandRunner;
  private readonly files: FileEndpoint;
  private readonly metrics: MetricsReporter;

  constructor(
    dataDir: string,
    private readonly deliver: (message: AgentMessage) => void,
    deliverBinary: (data: Buffer) => void,
    log: Logger,
  ) {
    this.journal = new CommandJournal(join(dataDir, 'local-node', 'journal'));
    // Messages cross to the master on the next tick, as they would over a socket.
    const send = (message: AgentMessage) => {
      setImmediate(() => this.deliver(message));
      return true;
    };
    this.runner = new CommandRunner(
      this.journal,
      send,
      { concurrency: 8, killGraceMs: 5_000, execAllowed: true },
      agentLogger(log),
    );
    this.files = new FileEndpoint(this.hello().capabilities, {
      sendJson: send,
      sendBinary: (frame) => setImmediate(() => deliverBinary(frame)),
      bufferedAmount: () => 0,
    });
    this.metrics = new MetricsReporter(
      createSampler({ include: [], exclude: DEFAULT_NET_EXCLUDE }),
      2_000,
      send,
      (error) => log.warn({ err: error }, 'could not sample local metrics'),
    );
  }

  sendBinary(frame: Buffer): boolean {
    this.files.binary(frame);
    return true;
  }

  hello(): HelloMessage {
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      agentVersion: VERSION,
      facts: collectHostFacts(),
      capabilities: { exec: true, files: true, filesWrite: true, roots: [os.homedir()] },
      running: this.runner.runningIds(),
    };
  }

  send(message: MasterMessage): boolean {
    if (message.type === 'command') this.runner.receive(message);
    else if (message.type === 'cancel') this.runner.cancel(message.id);
    else if (message.type === 'ack') this.runner.ack(message.id);
    else this.files.handle(message);
    return true;
  }

  async start(registry: NodeRegistry): Promise<void> {
    const existing = await registry.list();
    if (!existing.some((n) => n.id === LOCAL_NODE_ID)) {
      await registry.create({ id: LOCAL_NODE_ID, name: `${os.hostname()} (this master)`, kind: 'local' });
    }
    await registry.markOnline(LOCAL_NODE_ID, this.hello(), 'in-process', 'master started');
    this.runner.resendPending();
    this.metrics.start();
  }

  async stop(registry: NodeRegistry): Promise<void> {
    this.metrics.stop();
    this.runner.stopAll();
    const deadline = Date.now() + 6_000;
    while (this.runner.runningIds().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await registry.markOffline(LOCAL_NODE_ID, 'master stopped');
    this.journal.close();
  }
}
