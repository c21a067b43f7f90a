// Who is calling an operation. Every transport (HTTP, IPC, event streams, file streams, terminal
// sockets) resolves its request to one Caller before anything runs, and the core decides from it
// alone: what the caller may do (roles scoped by label selectors) and what the audit log records.
// It depends on nothing in core, so the renderer's types and the preload may use it too.
import type { LabelPair } from './labels.js';

/** The roles, widest first. What each may do is decided in the core, per operation. */
export const ROLES = ['administrator', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** One role, on every node (`selector` null) or only on nodes whose labels match all the pairs. */
export interface RoleGrant {
  role: Role;
  selector: readonly LabelPair[] | null;
}

/**
 * How the caller proved who it is:
 * - `desktop`: the person at the desktop app (IPC from the app's own frame), its local administrator;
 * - `admin-token`: the bootstrap admin-token file of the data dir (an administrator without a name);
 * - `user`: a signed-in account (browser session);
 * - `api-token`: a user's API token (scoped no wider than its user);
 * - `system`: the master itself (cron tasks, alert actions, maintenance), never a remote request;
 * - `anonymous`: nobody proven, for the contract's public operations only (health, enrollment).
 */
export type CallerKind = 'desktop' | 'admin-token' | 'user' | 'api-token' | 'system' | 'anonymous';

export interface Caller {
  kind: CallerKind;
  /** The account behind the call (also for its API tokens); null for desktop, admin token, system. */
  userId: string | null;
  /** Shown to people and in the audit log: the account's name, "token <name> of <user>", "desktop". */
  name: string;
  /** The API token used, when kind is `api-token`. */
  tokenId: string | null;
  /** The browser session used, when kind is `user`. */
  sessionId: string | null;
  grants: readonly RoleGrant[];
  /** Where the request came from (remote address) and with what (user agent); null in-process. */
  address: string | null;
  userAgent: string | null;
}

const EVERYWHERE: readonly RoleGrant[] = [{ role: 'administrator', selector: null }];

/** The person at the desktop app: its local administrator, no password (IPC is the app's own). */
export const desktopCaller: Caller = Object.freeze({
  kind: 'desktop',
  userId: null,
  name: 'desktop',
  tokenId: null,
  sessionId: null,
  grants: EVERYWHERE,
  address: null,
  userAgent: null,
});

/** The master's own work (cron, alert actions, maintenance services). */
export const systemCaller: Caller = Object.freeze({
  kind: 'system',
  userId: null,
  name: 'system',
  tokenId: null,
  sessionId: null,
  grants: EVERYWHERE,
  address: null,
  userAgent: null,
});

/** A request that presented the data dir's admin token. */
export function adminTokenCaller(address: string | null, userAgent: string | null): Caller {
  return {
    kind: 'admin-token',
    userId: null,
    name: 'admin token',
    tokenId: null,
    sessionId: null,
    grants: EVERYWHERE,
    address,
    userAgent,
  };
}

/** The caller of a public operation (health, enrollment): no grants at all. */
export function anonymousCaller(address: string | null, userAgent: string | null): Caller {
  return {
    kind: 'anonymous',
    userId: null,
    name: 'anonymous',
    tokenId: null,
    sessionId: null,
    grants: [],
    address,
    userAgent,
  };
}
