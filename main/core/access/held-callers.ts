// Long-lived connections (the event stream, terminal sockets) prove their caller once, when they
// open. So that a revoked session or API token, "sign out everywhere", a disabled account or changed
// roles reach them too, each is held here with its Caller and closed as soon as that caller no longer
// stands as it was: at once when this process changes a credential (nudge), and every SWEEP_MS from
// the store, since another master on the shared database or the `fleetdeck user` CLI may have.
// A closed connection reconnects with whatever its credential proves now: a new scope, or 401.
import type { Caller, RoleGrant } from '../../contract/caller.js';
import type { Logger } from '../log.js';

/** How often held callers are checked against the store when nothing here nudged. */
export const SWEEP_MS = 3_000;
/** Ids per store query (well under any database's bound on an IN list). */
const CHUNK = 500;

/** What the store says now: the live sessions with their account's grants, the usable API tokens. */
export interface CredentialSource {
  liveSessions(ids: readonly string[]): Promise<ReadonlyMap<string, readonly RoleGrant[]>>;
  liveTokens(ids: readonly string[]): Promise<ReadonlySet<string>>;
}

interface Held {
  caller: Caller;
  /** The caller's grants as compared (sorted: the same grants saved again may come back reordered). */
  grantsKey: string;
  close: () => void;
}

const grantsKey = (grants: readonly RoleGrant[]) =>
  grants
    .map((g) => JSON.stringify([g.role, g.selector]))
    .sort()
    .join('\n');

/** Only credentials that can end are held: browser sessions and API tokens. */
const endable = (caller: Caller) =>
  (caller.kind === 'user' && caller.sessionId !== null) || (caller.kind === 'api-token' && caller.tokenId !== null);

export class HeldCallers {
  private readonly held = new Set<Held>();
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly source: CredentialSource,
    private readonly log: Logger,
    private readonly sweepMs = SWEEP_MS,
  ) {}

  /** Keeps `close` until the returned release is called; runs it once if the caller stops standing. */
  hold(caller: Caller, close: () => void): () => void {
    if (!endable(caller)) return () => undefined;
    const entry: Held = { caller, grantsKey: grantsKey(caller.grants), close };
    this.held.add(entry);
    this.timer ??= setInterval(() => this.nudge(), this.sweepMs);
    this.timer.unref();
    return () => this.release(entry);
  }

  get size(): number {
    return this.held.size;
  }

  /** A credential changed here: check every held caller now (a check under way runs once more). */
  nudge(): void {
    if (this.held.size === 0) return;
    if (this.sweeping) {
      this.again = true;
      return;
    }
    this.sweeping = this.sweep()
      .catch((err) => this.log.warn({ err }, 'could not check the callers of open streams'))
      .finally(() => {
        this.sweeping = null;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Resolves once no check is under way (tests; shutdown). */
  async settled(): Promise<void> {
    while (this.sweeping) await this.sweeping;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.held.clear();
  }

  private release(entry: Held): void {
    this.held.delete(entry);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async sweep(): Promise<void> {
    const entries = [...this.held];
    const sessionIds = new Set<string>();
    const tokenIds = new Set<string>();
    for (const { caller } of entries) {
      if (caller.kind === 'user') sessionIds.add(caller.sessionId as string);
      else tokenIds.add(caller.tokenId as string);
    }
    const sessions = new Map<string, readonly RoleGrant[]>();
    for (const ids of chunks([...sessionIds])) {
      for (const [id, grants] of await this.source.liveSessions(ids)) sessions.set(id, grants);
    }
    const tokens = new Set<string>();
    for (const ids of chunks([...tokenIds])) for (const id of await this.source.liveTokens(ids)) tokens.add(id);
    for (const entry of entries) {
      if (!this.held.has(entry) || this.stands(entry, sessions, tokens)) continue;
      this.release(entry);
      try {
        entry.close();
      } catch (err) {
        this.log.debug({ err }, 'closing a connection whose caller ended failed');
      }
    }
  }

  private stands(
    entry: Held,
    sessions: ReadonlyMap<string, readonly RoleGrant[]>,
    tokens: ReadonlySet<string>,
  ): boolean {
    const { caller } = entry;
    if (caller.kind === 'api-token') return tokens.has(caller.tokenId as string);
    const grants = sessions.get(caller.sessionId as string);
    return grants !== undefined && grantsKey(grants) === entry.grantsKey;
  }
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}
