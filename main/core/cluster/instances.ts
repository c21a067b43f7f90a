// Every master instance registers itself in the database and heartbeats, so Settings can show the
// cluster and the leader can tell which instances (and so which agent connections) are gone.
import os from 'node:os';
import { VERSION } from '../../../agent/version.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/schema.js';

export const INSTANCE_HEARTBEAT_MS = 5_000;
/** An instance silent this long is considered gone. */
export const INSTANCE_DEAD_MS = 20_000;

export interface InstanceInfo {
  id: string;
  role: 'full' | 'console';
  agentUrl: string;
  adminUrl: string | null;
}

export class InstanceRegistry {
  private timer: NodeJS.Timeout | null = null;
  lastError: string | null = null;

  constructor(
    private readonly db: Db,
    private readonly self: InstanceInfo,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    const at = this.now();
    const row = {
      id: this.self.id,
      hostname: os.hostname().slice(0, 256),
      version: VERSION,
      role: this.self.role,
      agent_url: this.self.agentUrl,
      admin_url: this.self.adminUrl,
      started_at: at,
      heartbeat_at: at,
      last_error: null,
      wakeups: 0,
    };
    await this.db.deleteFrom('instances').where('id', '=', this.self.id).execute();
    await this.db.insertInto('instances').values(row).execute();
    this.timer = setInterval(() => void this.beat(), INSTANCE_HEARTBEAT_MS);
    this.timer.unref();
  }

  /** This instance's admin URL, once its server listens. */
  get adminUrl(): string | null {
    return this.self.adminUrl;
  }

  setAdminUrl(url: string): void {
    this.self.adminUrl = url;
    void this.db
      .updateTable('instances')
      .set({ admin_url: url })
      .where('id', '=', this.self.id)
      .execute()
      .catch(() => {});
  }

  private async beat(): Promise<void> {
    try {
      await this.db
        .updateTable('instances')
        .set({ heartbeat_at: this.now(), last_error: this.lastError })
        .where('id', '=', this.self.id)
        .execute();
    } catch (err) {
      this.log.warn({ err }, 'could not record the instance heartbeat');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.db
      .deleteFrom('instances')
      .where('id', '=', this.self.id)
      .execute()
      .catch(() => undefined);
  }

  async list(leaderId: string | null) {
    const rows = await this.db.selectFrom('instances').selectAll().orderBy('started_at').execute();
    const now = this.now();
    return rows.map((r) => ({
      id: r.id,
      hostname: r.hostname,
      version: r.version,
      role: r.role,
      agentUrl: r.agent_url,
      adminUrl: r.admin_url,
      startedAt: Number(r.started_at),
      heartbeatAt: Number(r.heartbeat_at),
      alive: now - Number(r.heartbeat_at) < INSTANCE_DEAD_MS,
      leader: r.id === leaderId,
      self: r.id === this.self.id,
      lastError: r.last_error,
    }));
  }

  /** Instances whose heartbeat stopped (their agents' nodes are no longer connected anywhere). */
  async deadInstanceIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('instances')
      .select('id')
      .where('heartbeat_at', '<', this.now() - INSTANCE_DEAD_MS)
      .execute();
    return rows.map((r) => r.id);
  }
}
