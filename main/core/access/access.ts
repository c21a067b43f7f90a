// Roles, label scopes and API tokens, wired together for the master: node labels in memory, the
// authorizer every handler goes through, the API tokens, and the handlers of whoAmI and the tokens.
import type { Caller } from '../../contract/caller.js';
import type { Handlers } from '../../contract/contract.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import { ApiTokens } from './api-tokens.js';
import { Authorizer } from './authorizer.js';
import { type EventGate, eventGate } from './event-gate.js';
import { type LookupSources, lookups } from './lookups.js';
import { NodeLabels, type NodeSource } from './node-labels.js';

type AccessHandlerNames = 'whoAmI' | 'listApiTokens' | 'createApiToken' | 'revokeApiToken';

export class Access {
  readonly labels: NodeLabels;
  readonly authorizer: Authorizer;
  readonly tokens: ApiTokens;

  constructor(sources: LookupSources & { nodes: NodeSource; bus: EventBus; log: Logger }) {
    this.labels = new NodeLabels(sources.nodes, sources.bus, sources.log);
    this.authorizer = new Authorizer(this.labels, lookups(sources));
    this.tokens = new ApiTokens(sources.db);
  }

  start(): Promise<void> {
    return this.labels.start();
  }

  stop(): void {
    this.labels.stop();
  }

  /** What `caller`'s event stream may carry; null: everything. */
  events(caller: Caller): EventGate | null {
    return eventGate((role) => this.authorizer.visibility(caller, role));
  }

  handlers(): Pick<Handlers, AccessHandlerNames> {
    return {
      whoAmI: async (_input, caller: Caller) => ({
        kind: caller.kind,
        name: caller.name,
        userId: caller.userId,
        tokenId: caller.tokenId,
        grants: caller.grants.map((g) => ({
          role: g.role,
          selector: g.selector ? g.selector.map((p) => [...p]) : null,
        })),
      }),
      listApiTokens: (_input, caller) => this.tokens.list(caller),
      createApiToken: (input, caller) => this.tokens.create(input, caller),
      revokeApiToken: ({ id }, caller) => this.tokens.revoke(id, caller),
    };
  }
}
