// Enforces the contract's access rules (contract/access-rules.ts) in one place: every handler the
// master gives a transport (HTTP, IPC) is wrapped here, so no transport can skip a check. A caller
// with an unscoped grant of the role needed goes straight through (one loop over its grants); a
// label-scoped one is checked against node labels held in memory (node-labels.ts), so a check is a
// map read per node and never a database read, except for operations that name a command, task,
// run or session by id and change it (one indexed read, next to the handler's own).

import { admitCaller } from '../../contract/access-check.js';
import {
  type AccessRule,
  accessRules,
  describeGrants,
  grantCoversLabels,
  grantsFor,
  type Selection,
  selectorText,
  selectorWithin,
  type Visibility,
} from '../../contract/access-rules.js';
import type { Caller, Role, RoleGrant } from '../../contract/caller.js';
import type { Handlers, OperationName } from '../../contract/contract.js';
import { FleetError } from '../../contract/errors.js';
import type { Lookups } from './lookups.js';
import type { LabelledNode, NodeLabels } from './node-labels.js';

type Handler = (input: unknown, caller: Caller) => Promise<unknown>;

export class Authorizer {
  constructor(
    private readonly labels: NodeLabels,
    private readonly lookup: Lookups,
  ) {}

  /** Every handler behind its rule. */
  guard(handlers: Handlers): Handlers {
    const guarded: Record<string, Handler> = {};
    for (const name of Object.keys(handlers) as OperationName[]) {
      const rule = accessRules[name] as AccessRule;
      const handler = handlers[name] as Handler;
      guarded[name] = async (input, caller) => {
        const eligible = admitCaller(name, rule.need, caller);
        if (eligible === null) return handler(input, caller);
        await this.before(rule, input, caller, eligible);
        const asked = rule.scope.kind === 'filter' && rule.scope.scopedInput ? rule.scope.scopedInput(input) : input;
        return this.after(rule, await handler(asked, caller), caller, eligible, input);
      };
    }
    return guarded as Handlers;
  }

  /** For routes outside the JSON contract (file streams): the caller needs `role` on the node. */
  async requireNode(caller: Caller, role: Role, nodeId: string, what: string): Promise<void> {
    const eligible = admitCaller(what, role, caller);
    if (eligible !== null) await this.checkNodes(caller, eligible, [nodeId]);
  }

  /** For routes outside the JSON contract (/metrics): the caller needs `role` without a label scope. */
  requireFleet(caller: Caller, role: Role, what: string): void {
    if (admitCaller(what, role, caller) !== null) throw fleetWide(caller);
  }

  /** A scoped caller's view of which nodes it may see at `role` (event streams); null: everything. */
  visibility(caller: Caller, role: Role): SyncVisibility | null {
    const eligible = grantsFor(caller.grants, role);
    if (eligible.some((g) => g.selector === null)) return null;
    // A node not in memory yet (changed a moment ago) is hidden from this event and read for the next.
    return new SyncVisibility(eligible, this.labels, (id) => void this.labels.get(id));
  }

  private async before(rule: AccessRule, input: unknown, caller: Caller, eligible: RoleGrant[]): Promise<void> {
    const scope = rule.scope;
    switch (scope.kind) {
      case 'none':
      case 'filter':
      case 'output':
        return;
      case 'fleet':
        throw fleetWide(caller);
      case 'nodes': {
        const nodes = await this.checkNodes(caller, eligible, scope.nodes(input));
        const labels = scope.labels?.(input);
        if (labels) this.checkNewLabels(caller, eligible, nodes, labels);
        return;
      }
      case 'selection': {
        const selection = scope.selection(input);
        if (selection) await this.checkSelection(caller, eligible, selection);
        return;
      }
      case 'lookup': {
        for (const id of scope.ids(input)) {
          const selection = await this.lookup(scope.lookup, id);
          if (selection) await this.checkSelection(caller, eligible, selection);
        }
        const changed = scope.selection?.(input);
        if (changed) await this.checkSelection(caller, eligible, changed);
        return;
      }
    }
  }

  private async after(
    rule: AccessRule,
    output: unknown,
    caller: Caller,
    eligible: RoleGrant[],
    input: unknown,
  ): Promise<unknown> {
    const scope = rule.scope;
    if (scope.kind === 'output') {
      await this.checkSelection(caller, eligible, scope.of(output));
      return output;
    }
    if (scope.kind !== 'filter') return output;
    const may = new SyncVisibility(eligible, this.labels);
    const filtered = scope.filter(output, may, input);
    if (may.missed.size === 0) return filtered;
    // Nodes not in memory (changed a moment ago): read them, then filter again with all known.
    await Promise.all([...may.missed].map((id) => this.labels.get(id)));
    return scope.filter(output, new SyncVisibility(eligible, this.labels), input);
  }

  private async checkNodes(caller: Caller, eligible: RoleGrant[], ids: readonly string[]): Promise<LabelledNode[]> {
    const nodes: LabelledNode[] = [];
    for (const id of ids) {
      const node = this.labels.peek(id) ?? (await this.labels.get(id));
      // No such node: the handler answers its own 404.
      if (!node) continue;
      if (!eligible.some((g) => grantCoversLabels(g, node.labels))) throw outsideScope(caller, eligible, node);
      nodes.push(node);
    }
    return nodes;
  }

  private checkNewLabels(
    caller: Caller,
    eligible: RoleGrant[],
    nodes: LabelledNode[],
    labels: Record<string, string>,
  ): void {
    if (eligible.some((g) => grantCoversLabels(g, labels))) return;
    const name = nodes[0]?.name ?? 'the node';
    throw new FleetError(
      'forbidden',
      `${describeGrants(caller)}; the labels ${selectorText(Object.entries(labels)) || '(none)'} would take ${name} outside it.`,
    );
  }

  private async checkSelection(caller: Caller, eligible: RoleGrant[], selection: Selection): Promise<void> {
    if (selection.fleet) throw fleetWide(caller);
    if (selection.nodeIds) await this.checkNodes(caller, eligible, selection.nodeIds);
    const selector = selection.selector;
    if (selector === undefined || eligible.some((g) => selectorWithin(g, selector))) return;
    const needed = eligible.find((g) => g.selector !== null)?.selector ?? [];
    throw new FleetError(
      'forbidden',
      `${describeGrants(caller)}; the selector ${selectorText(Object.entries(selector)) || '(every node)'} could reach nodes outside it: add ${selectorText(needed)} to it.`,
    );
  }
}

function fleetWide(caller: Caller): FleetError {
  return new FleetError(
    'forbidden',
    `${describeGrants(caller)}; this is about the whole fleet and needs a role without a label scope.`,
  );
}

/** "You are an operator of env=staging; web-3 is env=prod." */
function outsideScope(caller: Caller, eligible: RoleGrant[], node: LabelledNode): FleetError {
  const keys = [...new Set(eligible.flatMap((g) => (g.selector ?? []).map(([key]) => key)))];
  const has = keys.filter((key) => key in node.labels).map((key) => `${key}=${node.labels[key]}`);
  const lacks = keys.filter((key) => !(key in node.labels));
  const parts = [
    ...(has.length ? [`is ${has.join(', ')}`] : []),
    ...(lacks.length ? [`has no ${lacks.join(', ')} label`] : []),
  ];
  return new FleetError('forbidden', `${describeGrants(caller)}; ${node.name} ${parts.join(' and ')}.`);
}

/** What a scoped caller may see, from memory; nodes not known here are hidden and noted in `missed`. */
export class SyncVisibility implements Visibility {
  readonly missed = new Set<string>();

  constructor(
    private readonly eligible: readonly RoleGrant[],
    private readonly labels: NodeLabels,
    private readonly onMiss: ((nodeId: string) => void) | null = null,
  ) {}

  get hasAnyGrant(): boolean {
    return this.eligible.length > 0;
  }

  node(nodeId: string | null): boolean {
    if (nodeId === null) return false;
    const node = this.labels.peek(nodeId);
    if (!node) {
      if (this.onMiss) this.onMiss(nodeId);
      else this.missed.add(nodeId);
      return false;
    }
    return this.eligible.some((g) => grantCoversLabels(g, node.labels));
  }

  selection(selection: Selection): boolean {
    if (selection.fleet) return false;
    if (selection.nodeIds && !selection.nodeIds.every((id) => this.node(id))) return false;
    const selector = selection.selector;
    return selector === undefined || this.eligible.some((g) => selectorWithin(g, selector));
  }
}
