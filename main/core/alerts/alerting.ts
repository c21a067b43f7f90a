// Alerting's parts, built and started together so master.ts wires one thing: the configuration
// (rules.ts), the node index, the state store and the engine, plus the hooks master.ts connects
// (samples, agent connections, leadership) and the contract handlers.
import type { Handlers } from '../../contract/contract.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import type { DayCalendar } from '../metrics/calendar.js';
import type { NodeRegistry } from '../nodes/registry.js';
import { claimFor, IdempotentRequests } from '../queue/idempotency.js';
import type { Db } from '../store/schema.js';
import { runIdOf } from '../tasks/handlers.js';
import type { TaskService } from '../tasks/tasks.js';
import { AlertEngine, type AlertEngineDeps } from './engine.js';
import { alertHandlers } from './handlers.js';
import { NodeIndex } from './node-index.js';
import type { ProbeHistory } from './probe-preview.js';
import { AlertRules } from './rules.js';
import { AlertStateStore, type EnqueueTransitions } from './state-store.js';

export interface AlertingDeps {
  db: Db;
  dialect: 'sqlite' | 'mariadb';
  bus: EventBus;
  log: Logger;
  registry: NodeRegistry;
  tasks: TaskService;
  masterVersion: string;
  billing: { calendar: DayCalendar; billingDay: number };
  shared: boolean;
  /** Notify's outbox: called inside the transaction of the state change (core/notify/outbox.ts). */
  enqueueTransitions: EnqueueTransitions;
  /** The probes' live views, for the probe rule kinds. */
  probes?: AlertEngineDeps['probes'];
  /** A probe's minute rollups (ProbeRollups.series), for the latency rules' preview. */
  probeMinutes?: ProbeHistory['minutes'];
}

export class Alerting {
  readonly rules: AlertRules;
  readonly states: AlertStateStore;
  readonly nodes: NodeIndex;
  readonly engine: AlertEngine;

  constructor(private readonly deps: AlertingDeps) {
    this.rules = new AlertRules(deps.db, deps.registry);
    this.states = new AlertStateStore(deps.db, deps.dialect, deps.enqueueTransitions);
    this.nodes = new NodeIndex(deps.registry, deps.bus, deps.log, (ids) => this.engine.nodesChanged(ids));
    const keyed = new IdempotentRequests(deps.db);
    this.engine = new AlertEngine({
      db: deps.db,
      bus: deps.bus,
      log: deps.log,
      rules: this.rules,
      states: this.states,
      nodes: this.nodes,
      masterVersion: deps.masterVersion,
      billing: deps.billing,
      shared: deps.shared,
      probes: deps.probes,
      // The transition's id is the key: a retry after a crash answers the run the first attempt queued.
      runAction: async (taskId, nodeId, key, reason) => {
        const claim = claimFor('runTask', key, { taskId, nodeId }, runIdOf);
        const run = await keyed.once(
          claim,
          () => deps.tasks.runOn(taskId, [nodeId], reason, claim),
          (reference) => deps.tasks.runView((JSON.parse(reference) as { runId: string }).runId),
        );
        return run.id;
      },
    });
  }

  async start(): Promise<void> {
    await this.nodes.start();
    await this.engine.start();
  }

  async stop(): Promise<void> {
    this.nodes.stop();
    await this.engine.stop();
  }

  handlers(): ReturnType<typeof alertHandlers> {
    const { probes, probeMinutes } = this.deps;
    return alertHandlers({
      probes: probes ? { probes, minutes: probeMinutes ?? (async () => []) } : undefined,
      rules: this.rules,
      states: this.states,
      engine: this.engine,
      nodes: this.nodes,
      db: this.deps.db,
      bus: this.deps.bus,
    });
  }
}

export type AlertHandlers = Pick<Handlers, keyof ReturnType<typeof alertHandlers>>;
