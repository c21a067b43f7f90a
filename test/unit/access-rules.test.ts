// Roles and label scopes, generated from the contract: every operation has a rule (a new one without
// a rule fails here as it fails to compile), and every role is allowed or refused on every operation
// as its rule says, through the same guard and dispatch the transports use. Label scopes are checked
// against real nodes in a real store (SQLite and MariaDB).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRules, type Need, roleCovers } from '../../main/contract/access-rules.js';
import { type Caller, ROLES, type Role, type RoleGrant } from '../../main/contract/caller.js';
import { contract, type Handlers, type OperationName } from '../../main/contract/contract.js';
import { invoke } from '../../main/contract/dispatch.js';
import { FleetError } from '../../main/contract/errors.js';
import { Authorizer } from '../../main/core/access/authorizer.js';
import { type LookupSources, lookups } from '../../main/core/access/lookups.js';
import { NodeLabels } from '../../main/core/access/node-labels.js';
import { EventBus } from '../../main/core/events.js';
import { silentLogger } from '../../main/core/log.js';
import { NodeRegistry } from '../../main/core/nodes/registry.js';
import type { Store } from '../../main/core/store/store.js';
import { storeTargets } from '../helpers/databases.js';

const names = Object.keys(contract) as OperationName[];

function callerWith(grants: RoleGrant[], name = 'alice'): Caller {
  return {
    kind: 'user',
    userId: `u-${name}`,
    name,
    tokenId: null,
    sessionId: null,
    grants,
    address: null,
    userAgent: null,
  };
}

/** Handlers that answer a marker: the guard either lets the call through to them or refuses it. */
function markerHandlers(output: (name: OperationName) => unknown = () => ({ reached: true })): Handlers {
  return Object.fromEntries(names.map((name) => [name, async () => output(name)])) as unknown as Handlers;
}

/** A signed-in caller without any role still may ask who it is and manage its own tokens. */
const allowed = (need: Need, role: Role | null) =>
  need === 'public' || need === 'signed-in' || (role !== null && roleCovers(role, need));

async function outcome(call: () => Promise<unknown>): Promise<'allowed' | 'forbidden' | string> {
  try {
    await call();
    return 'allowed';
  } catch (error) {
    if (error instanceof FleetError && error.code === 'forbidden') return 'forbidden';
    return error instanceof FleetError ? error.code : String(error);
  }
}

describe('access rules', () => {
  it('has a rule for every contract operation, and only for them', () => {
    expect(Object.keys(accessRules).sort()).toEqual([...names].sort());
    for (const name of names) expect(['public', 'signed-in', ...ROLES]).toContain(accessRules[name].need);
  });

  it('only health is public, and the contract marks it so', () => {
    expect(names.filter((name) => accessRules[name].need === 'public')).toEqual(
      names.filter((name) => (contract[name] as { public?: boolean }).public),
    );
  });
});

describe.each(storeTargets())('roles on every operation ($name)', (target) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let registry: NodeRegistry;
  let labels: NodeLabels;
  let authorizer: Authorizer;
  const bus = new EventBus();
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    ({ store, cleanup } = await target.open());
    registry = new NodeRegistry(store.db, bus);
    for (const [name, env] of [
      ['web-1', 'staging'],
      ['web-2', 'staging'],
      ['web-3', 'prod'],
    ] as const) {
      ids[name] = (await registry.create({ name, labels: { env, role: 'web' } })).node.id;
    }
    labels = new NodeLabels(registry, bus, silentLogger);
    await labels.start();
    const sources = {
      db: store.db,
      terminals: { get: () => null },
      transfers: { nodeOf: () => undefined },
      copies: { get: () => undefined },
    } as unknown as LookupSources;
    authorizer = new Authorizer(labels, lookups(sources));
  });
  afterAll(async () => {
    labels?.stop();
    await cleanup?.();
  });

  // Every operation × every role (unscoped) and a caller without any: generated from the table.
  for (const name of names) {
    it(`${name}: ${accessRules[name].need}`, async () => {
      const guarded = authorizer.guard(markerHandlers());
      const handler = guarded[name] as (input: unknown, caller: Caller) => Promise<unknown>;
      for (const role of [...ROLES, null]) {
        const caller = callerWith(role ? [{ role, selector: null }] : []);
        const expected = allowed(accessRules[name].need, role) ? 'allowed' : 'forbidden';
        expect(await outcome(() => handler({ id: 'x' }, caller)), `${name} as ${role ?? 'nobody'}`).toBe(expected);
        // Through the dispatch every transport uses: refused before the input is even read.
        if (expected === 'forbidden') {
          expect(await outcome(() => invoke(guarded, name, { junk: true }, caller))).toBe('forbidden');
        }
      }
      // Nobody proven: only the public operations.
      const anonymous = { ...callerWith([]), kind: 'anonymous' as const, userId: null };
      const expected = accessRules[name].need === 'public' ? 'allowed' : 'unauthorized';
      expect(await outcome(() => handler({ id: 'x' }, anonymous))).toBe(expected);
    });
  }

  const staging = (role: Role) => callerWith([{ role, selector: [['env', 'staging']] }]);

  it('says in words why a scoped caller is refused a node', async () => {
    const guarded = authorizer.guard(markerHandlers());
    const refused = await guarded.getNode({ id: ids['web-3'] as string }, staging('viewer')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(FleetError);
    expect((refused as FleetError).message).toBe('You are a viewer of env=staging; web-3 is env=prod.');
    await expect(guarded.getNode({ id: ids['web-1'] as string }, staging('viewer'))).resolves.toEqual({
      reached: true,
    });
  });

  it('lets a scoped operator command only nodes and selectors inside its scope', async () => {
    const guarded = authorizer.guard(markerHandlers());
    const op = staging('operator');
    const base = { exec: { command: 'true' }, timeoutSec: 5, outputLimitBytes: 1024 };
    await expect(guarded.enqueueCommands({ ...base, nodeIds: [ids['web-1'] as string] }, op)).resolves.toBeTruthy();
    await expect(
      guarded.enqueueCommands({ ...base, selector: { env: 'staging', role: 'web' } }, op),
    ).resolves.toBeTruthy();
    const prod = await outcome(() =>
      guarded.enqueueCommands({ ...base, nodeIds: [ids['web-1'] as string, ids['web-3'] as string] }, op),
    );
    expect(prod).toBe('forbidden');
    const wide = await guarded
      .enqueueCommands({ ...base, selector: { role: 'web' } }, op)
      .catch((e: Error) => e.message);
    expect(wide).toBe(
      'You are an operator of env=staging; the selector role=web could reach nodes outside it: add env=staging to it.',
    );
    // A viewer of the same scope runs nothing.
    expect(
      await outcome(() => guarded.enqueueCommands({ ...base, nodeIds: [ids['web-1'] as string] }, staging('viewer'))),
    ).toBe('forbidden');
  });

  it('filters lists to the scope instead of refusing them', async () => {
    const guarded = authorizer.guard(
      markerHandlers((name) =>
        name === 'listNodes'
          ? Object.entries(ids).map(([nodeName, id]) => ({ id, name: nodeName }))
          : [{ nodeId: ids['web-1'] }, { nodeId: ids['web-3'] }, { nodeId: null }],
      ),
    );
    const nodes = (await guarded.listNodes({}, staging('viewer'))) as unknown as Array<{ name: string }>;
    expect(nodes.map((n) => n.name).sort()).toEqual(['web-1', 'web-2']);
    const commands = (await guarded.listCommands({} as never, staging('viewer'))) as unknown as Array<{
      nodeId: string;
    }>;
    expect(commands.map((c) => c.nodeId)).toEqual([ids['web-1']]);
    // Unscoped: the list as the handler gave it.
    const all = (await guarded.listNodes({}, callerWith([{ role: 'viewer', selector: null }]))) as unknown[];
    expect(all).toHaveLength(3);
  });

  it('gives a scoped viewer traffic totals of its own nodes only', async () => {
    let asked: unknown;
    const handlers = markerHandlers();
    handlers.trafficReport = async (input) => {
      asked = input;
      return {
        from: 0,
        to: 1,
        step: '1m',
        rxBytes: 111,
        txBytes: 222,
        nodes: [
          { nodeId: ids['web-1'] as string, name: 'web-1', rxBytes: 1, txBytes: 2 },
          { nodeId: ids['web-3'] as string, name: 'web-3', rxBytes: 110, txBytes: 220 },
        ],
      };
    };
    const guarded = authorizer.guard(handlers);
    const report = await guarded.trafficReport({ limit: 20 }, staging('viewer'));
    expect(asked).toMatchObject({ groupBy: 'node', limit: 10_000 });
    expect(report).toEqual({ from: 0, to: 1, step: '1m', rxBytes: 1, txBytes: 2 });
  });

  it('refuses fleet-wide operations to scoped callers and relabelling out of scope', async () => {
    const guarded = authorizer.guard(markerHandlers());
    const admin = staging('administrator');
    expect(await outcome(() => guarded.tlsStatus({}, staging('viewer')))).toBe('forbidden');
    expect(await outcome(() => guarded.createNode({ name: 'x' }, admin))).toBe('forbidden');
    await expect(guarded.revokeNode({ id: ids['web-2'] as string }, admin)).resolves.toBeTruthy();
    expect(await outcome(() => guarded.revokeNode({ id: ids['web-3'] as string }, admin))).toBe('forbidden');
    const out = await guarded
      .updateNode({ id: ids['web-2'] as string, labels: { env: 'prod' } }, admin)
      .catch((e: Error) => e.message);
    expect(out).toBe('You are an administrator of env=staging; the labels env=prod would take web-2 outside it.');
  });

  it('judges a relabelled node by its new labels at once', async () => {
    const guarded = authorizer.guard(markerHandlers());
    const id = (await registry.create({ name: 'web-4', labels: { env: 'staging' } })).node.id;
    await expect(guarded.getNode({ id }, staging('viewer'))).resolves.toBeTruthy();
    await registry.update(id, { labels: { env: 'prod' } });
    expect(await outcome(() => guarded.getNode({ id }, staging('viewer')))).toBe('forbidden');
  });

  it('finds a command’s node before a scoped operator cancels it', async () => {
    const guarded = authorizer.guard(markerHandlers());
    const at = Date.now();
    const row = (id: string, nodeId: string) => ({
      id,
      node_id: nodeId,
      kind: 'exec',
      payload: '{}',
      status: 'pending',
      attempt: 1,
      max_attempts: 1,
      retry_delay_ms: 0,
      timeout_ms: 1000,
      output_limit: 1024,
      truncated: 0,
      created_at: at,
    });
    await store.db
      .insertInto('commands')
      .values([row('cmd-staging', ids['web-1'] as string), row('cmd-prod', ids['web-3'] as string)] as never)
      .execute();
    await expect(guarded.cancelCommand({ id: 'cmd-staging' }, staging('operator'))).resolves.toBeTruthy();
    expect(await outcome(() => guarded.cancelCommand({ id: 'cmd-prod' }, staging('operator')))).toBe('forbidden');
  });
});
