// Who may call each operation, and on which nodes: one rule per contract operation, in a table the
// type system forces to be complete (a new operation without a rule does not compile, and the
// generated access test covers it by construction). The core enforces it in one place
// (core/access/authorizer.ts) for every transport; the renderer reads the same table to hide what
// the caller cannot use. Pure, so the renderer imports it as it is.
import type { Caller, Role, RoleGrant } from './caller.js';
import type { OperationName, OutputOf, ParsedInputOf } from './contract.js';
import { hasLabels, type LabelPair } from './labels.js';

/**
 * What an operation needs: `public` (nobody proven, e.g. health), `signed-in` (any proven caller,
 * whatever its roles: whoAmI, its own API tokens), or a role (administrator ⊇ operator ⊇ viewer).
 */
export type Need = 'public' | 'signed-in' | Role;

/** Nodes named by id and/or by labels, as commands and tasks choose their targets. */
export interface Selection {
  nodeIds?: readonly string[];
  selector?: Readonly<Record<string, string>>;
  /** Not about particular nodes (a fleet-wide alert, say): only an unscoped grant covers it. */
  fleet?: boolean;
}

/** Things an operation names by id, whose nodes the core looks up before it runs. */
export type Lookup = 'command' | 'task' | 'run' | 'terminal' | 'alert' | 'transfer' | 'copy';

/** What a scoped caller may see, for filtering lists. */
export interface Visibility {
  node(nodeId: string | null): boolean;
  selection(selection: Selection): boolean;
}

/**
 * How an operation's target nodes are found:
 * - `none`: not about nodes (any grant of the role will do, whatever its scope);
 * - `fleet`: about the whole fleet or its configuration: needs a grant without a selector;
 * - `nodes`: node ids in the input (and, for a relabel, the labels the node will have);
 * - `selection`: node ids and/or a label selector in the input (commands, tasks);
 * - `lookup`: an id in the input whose nodes the core looks up (a command → its node, a task → its targets);
 * - `filter`: a list, filtered to what the caller may see rather than refused;
 * - `output`: a read whose answer names its nodes (checked before it is returned).
 */
export type Scope<I, O> =
  | { kind: 'none' }
  | { kind: 'fleet' }
  | { kind: 'nodes'; nodes: (input: I) => readonly string[]; labels?: (input: I) => Record<string, string> | undefined }
  | { kind: 'selection'; selection: (input: I) => Selection | undefined }
  | {
      kind: 'lookup';
      lookup: Lookup;
      ids: (input: I) => readonly string[];
      /** Targets the call sets anew (a task's changed targets), checked too. */
      selection?: (input: I) => Selection | undefined;
    }
  | {
      kind: 'filter';
      filter: (output: O, may: Visibility, input: I) => O;
      /** What a scoped caller's call asks instead (so the answer can be cut down to its nodes). */
      scopedInput?: (input: I) => I;
    }
  | { kind: 'output'; of: (output: O) => Selection };

export interface AccessRule<I = unknown, O = unknown> {
  need: Need;
  scope: Scope<I, O>;
}

export type AccessRules = { [K in OperationName]: AccessRule<ParsedInputOf<K>, OutputOf<K>> };

const none = { kind: 'none' } as const;
const fleet = { kind: 'fleet' } as const;
const node = { kind: 'nodes', nodes: (input: { id: string }) => [input.id] } as const;
const byNodeId = <T extends { nodeId: string | null }>(items: T[], may: Visibility) =>
  items.filter((item) => may.node(item.nodeId));

const viewerFleet = { need: 'viewer', scope: fleet } as const;
const adminFleet = { need: 'administrator', scope: fleet } as const;
const adminNode = { need: 'administrator', scope: node } as const;
const viewerNode = { need: 'viewer', scope: node } as const;
const operatorNode = { need: 'operator', scope: node } as const;
const lookup = <I>(kind: Lookup, ids: (input: I) => readonly string[]) => ({
  kind: 'lookup' as const,
  lookup: kind,
  ids,
});

export const accessRules: AccessRules = {
  health: { need: 'public', scope: none },
  masterInfo: { need: 'viewer', scope: none },
  tlsStatus: viewerFleet,
  rotateTls: adminFleet,
  retireTls: adminFleet,
  listInstances: { need: 'viewer', scope: none },
  listNodes: { need: 'viewer', scope: { kind: 'filter', filter: (out, may) => out.filter((n) => may.node(n.id)) } },
  createNode: adminFleet,
  getNode: viewerNode,
  updateNode: {
    need: 'administrator',
    // A scoped administrator cannot relabel a node out of (or into) another scope.
    scope: { kind: 'nodes', nodes: (input) => [input.id], labels: (input) => input.labels },
  },
  deleteNode: adminNode,
  rotateNodeToken: adminNode,
  revokeNode: adminNode,
  fleetLive: { need: 'viewer', scope: { kind: 'filter', filter: byNodeId } },
  liveMetrics: viewerNode,
  metricSeries: viewerNode,
  nodeTransfer: viewerNode,
  // A scoped viewer's totals are its nodes' own: asked per node (all of them), summed over those it sees.
  trafficReport: {
    need: 'viewer',
    scope: {
      kind: 'filter',
      scopedInput: (input) => ({ ...input, groupBy: 'node', limit: 10_000 }),
      filter: (out, may, input) => {
        const nodes = byNodeId(out.nodes ?? [], may);
        const rxBytes = nodes.reduce((sum, n) => sum + n.rxBytes, 0);
        const txBytes = nodes.reduce((sum, n) => sum + n.txBytes, 0);
        const { nodes: _all, ...rest } = out;
        return input.groupBy === 'node' ? { ...rest, rxBytes, txBytes, nodes } : { ...rest, rxBytes, txBytes };
      },
    },
  },
  fleetTransfer: {
    need: 'viewer',
    scope: { kind: 'filter', filter: (out, may) => ({ ...out, nodes: byNodeId(out.nodes, may) }) },
  },
  nodeUptime: viewerNode,
  fleetUptime: {
    need: 'viewer',
    scope: { kind: 'filter', filter: (out, may) => ({ ...out, nodes: byNodeId(out.nodes, may) }) },
  },
  nodeUptimeDays: viewerNode,
  topProcesses: viewerNode,
  enqueueCommands: { need: 'operator', scope: { kind: 'selection', selection: (input) => input } },
  listCommands: { need: 'viewer', scope: { kind: 'filter', filter: byNodeId } },
  getCommand: { need: 'viewer', scope: { kind: 'output', of: (out) => ({ nodeIds: [out.nodeId] }) } },
  cancelCommand: { need: 'operator', scope: lookup('command', (input: { id: string }) => [input.id]) },
  listTasks: {
    need: 'viewer',
    scope: { kind: 'filter', filter: (out, may) => out.filter((t) => may.selection(t.targets)) },
  },
  createTask: { need: 'operator', scope: { kind: 'selection', selection: (input) => input.targets } },
  getTask: { need: 'viewer', scope: { kind: 'output', of: (out) => out.targets } },
  updateTask: {
    need: 'operator',
    scope: { ...lookup('task', (input: { id: string }) => [input.id]), selection: (input) => input.targets },
  },
  deleteTask: { need: 'operator', scope: lookup('task', (input: { id: string }) => [input.id]) },
  runTask: { need: 'operator', scope: lookup('task', (input: { id: string }) => [input.id]) },
  listTaskRuns: { need: 'viewer', scope: lookup('task', (input: { id: string }) => [input.id]) },
  getRun: { need: 'viewer', scope: lookup('run', (input: { id: string }) => [input.id]) },
  cancelRun: { need: 'operator', scope: lookup('run', (input: { id: string }) => [input.id]) },
  // Files, reading included, are an operator's: a file can hold anything a command could print.
  listFiles: operatorNode,
  statFile: operatorNode,
  previewFile: operatorNode,
  makeDirectory: operatorNode,
  renameFile: operatorNode,
  deleteFile: operatorNode,
  createDownloadTicket: operatorNode,
  controlTransfer: { need: 'operator', scope: lookup('transfer', (input: { id: string }) => [input.id]) },
  startCopy: { need: 'operator', scope: { kind: 'nodes', nodes: (input) => [input.from.nodeId, input.to.nodeId] } },
  listCopies: {
    need: 'operator',
    scope: {
      kind: 'filter',
      filter: (out, may) => out.filter((c) => may.node(c.from.nodeId) && may.node(c.to.nodeId)),
    },
  },
  controlCopy: { need: 'operator', scope: lookup('copy', (input: { id: string }) => [input.id]) },
  startBootstrap: adminFleet,
  getBootstrap: adminFleet,
  upgradeAgent: adminNode,
  uninstallAgent: adminNode,
  listSshCredentials: adminFleet,
  saveSshCredential: adminFleet,
  deleteSshCredential: adminFleet,
  sshConfigHosts: adminFleet,
  listKnownHosts: adminFleet,
  removeKnownHost: adminFleet,
  listTunnels: adminFleet,
  createEnrollmentCode: adminFleet,
  listEnrollmentCodes: adminFleet,
  startAgentRollout: adminFleet,
  listAgentRollouts: viewerFleet,
  getAgentRollout: viewerFleet,
  revokeEnrollmentCode: adminFleet,
  listChannels: adminFleet,
  createChannel: adminFleet,
  getChannel: adminFleet,
  updateChannel: adminFleet,
  deleteChannel: adminFleet,
  testChannel: adminFleet,
  listDeliveries: adminFleet,
  listAlertRules: viewerFleet,
  createAlertRule: adminFleet,
  previewAlertRule: adminFleet,
  getAlertRule: viewerFleet,
  updateAlertRule: adminFleet,
  deleteAlertRule: adminFleet,
  listAlerts: { need: 'viewer', scope: { kind: 'filter', filter: byNodeId } },
  alertHistory: { need: 'viewer', scope: { kind: 'filter', filter: byNodeId } },
  acknowledgeAlert: { need: 'operator', scope: lookup('alert', (input: { id: string }) => [input.id]) },
  listSilences: viewerFleet,
  createSilence: adminFleet,
  updateSilence: adminFleet,
  deleteSilence: adminFleet,
  listMaintenanceWindows: viewerFleet,
  createMaintenanceWindow: adminFleet,
  updateMaintenanceWindow: adminFleet,
  deleteMaintenanceWindow: adminFleet,
  openTerminal: operatorNode,
  terminalTicket: { need: 'operator', scope: lookup('terminal', (input: { sessionId: string }) => [input.sessionId]) },
  listTerminalSessions: { need: 'operator', scope: { kind: 'filter', filter: byNodeId } },
  closeTerminal: { need: 'operator', scope: lookup('terminal', (input: { sessionId: string }) => [input.sessionId]) },
  broadcastTerminalInput: { need: 'operator', scope: lookup('terminal', (input) => input.sessionIds) },
  // A recording holds what was typed (passwords at a prompt included): an operator's, like the terminal.
  terminalRecording: {
    need: 'operator',
    scope: lookup('terminal', (input: { sessionId: string }) => [input.sessionId]),
  },
  whoAmI: { need: 'signed-in', scope: none },
  // Bounded by the caller's own grants in the handler (api-tokens.ts).
  listApiTokens: { need: 'signed-in', scope: none },
  createApiToken: { need: 'signed-in', scope: none },
  revokeApiToken: { need: 'signed-in', scope: none },
  // Probes are fleet configuration, like alert rules: read by viewers, changed by administrators.
  listProbes: viewerFleet,
  createProbe: adminFleet,
  probeUptime: viewerFleet,
  getProbe: viewerFleet,
  updateProbe: adminFleet,
  deleteProbe: adminFleet,
  probeSeries: viewerFleet,
  // The public page's settings name any node and publish what it shows: the whole fleet's administrators.
  getStatusPage: adminFleet,
  updateStatusPage: adminFleet,
  // Who did what on the whole fleet: an unscoped administrator's (so is GET /api/audit/export).
  listAuditEntries: adminFleet,
  auditStatus: adminFleet,
  // One's own account (core/people/): any signed-in caller; the handlers refuse callers without one.
  myAccount: { need: 'signed-in', scope: none },
  listMySessions: { need: 'signed-in', scope: none },
  revokeMySession: { need: 'signed-in', scope: none },
  signOutEverywhere: { need: 'signed-in', scope: none },
  changeMyPassword: { need: 'signed-in', scope: none },
  startTotpEnrollment: { need: 'signed-in', scope: none },
  confirmTotpEnrollment: { need: 'signed-in', scope: none },
  disableMyTotp: { need: 'signed-in', scope: none },
  // Managing people is fleet administration.
  listUsers: adminFleet,
  createUser: adminFleet,
  updateUser: adminFleet,
  resetUserPassword: adminFleet,
  resetUserTotp: adminFleet,
  listUserSessions: adminFleet,
  revokeUserSessions: adminFleet,
  revokeSession: adminFleet,
  getOidcSettings: adminFleet,
  saveOidcSettings: adminFleet,
};

const RANK: Record<Role, number> = { viewer: 1, operator: 2, administrator: 3 };

/** Whether a grant's role is at least `role`. */
export function roleCovers(granted: Role, role: Role): boolean {
  return RANK[granted] >= RANK[role];
}

/** The caller's grants whose role is enough for `need` (all of them for public and signed-in). */
export function grantsFor(grants: readonly RoleGrant[], need: Need): RoleGrant[] {
  if (need === 'public' || need === 'signed-in') return [...grants];
  return grants.filter((g) => roleCovers(g.role, need));
}

/** Whether the grant covers a node with these labels. */
export function grantCoversLabels(grant: RoleGrant, labels: Record<string, string>): boolean {
  return grant.selector === null || hasLabels(labels, grant.selector);
}

/**
 * Whether a label selector can only reach nodes the grant covers: it includes every pair of the
 * grant's selector (statically, so a node added later cannot widen it).
 */
export function selectorWithin(grant: RoleGrant, selector: Readonly<Record<string, string>>): boolean {
  return grant.selector === null || grant.selector.every(([key, value]) => selector[key] === value);
}

/** Whether `inner` is no wider than `outer`: a role at most outer's, on nodes outer covers. */
export function grantWithin(inner: RoleGrant, outer: RoleGrant): boolean {
  if (!roleCovers(outer.role, inner.role)) return false;
  if (outer.selector === null) return true;
  if (inner.selector === null) return false;
  return selectorWithin(outer, Object.fromEntries(inner.selector));
}

/** "env=staging, role=web" */
export function selectorText(pairs: readonly LabelPair[]): string {
  return pairs.map(([key, value]) => `${key}=${value}`).join(', ');
}

export const article = (role: Role) => (role === 'operator' || role === 'administrator' ? 'an' : 'a');

/** "You are an operator of env=staging and a viewer of every node." */
export function describeGrants(caller: Pick<Caller, 'grants'>): string {
  if (caller.grants.length === 0) return 'You have no role on this FleetDeck';
  const parts = caller.grants.map(
    (g) => `${article(g.role)} ${g.role} of ${g.selector === null ? 'every node' : selectorText(g.selector)}`,
  );
  return `You are ${parts.join(' and ')}`;
}

/** For the renderer: whether any grant reaches `role` (a viewer sees no Run button). */
export function mayUseRole(grants: readonly RoleGrant[], role: Role): boolean {
  return grants.some((g) => roleCovers(g.role, role));
}

/** For the renderer: whether the caller may do `role`'s things on a node with these labels. */
export function mayOnNode(grants: readonly RoleGrant[], role: Role, labels: Record<string, string>): boolean {
  return grants.some((g) => roleCovers(g.role, role) && grantCoversLabels(g, labels));
}
