// Notification channels in the store. A channel's settings are split on save: what is not secret goes
// to `config` (JSON), the kind's secret fields (CHANNEL_SECRET_FIELDS) are sealed with the master's
// SecretBox into `secrets`. Views never carry a secret, only which ones are set.
import { randomUUID } from 'node:crypto';
import { describeZodError } from '../../contract/dispatch.js';
import { FleetError, notFound } from '../../contract/errors.js';
import {
  CHANNEL_SECRET_FIELDS,
  type ChannelKind,
  ChannelSettings,
  type ChannelView,
  type CreateChannel,
  FAILING_AFTER,
  type UpdateChannel,
} from '../../contract/notify-schemas.js';
import { noteAuditFacts } from '../audit/context.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Db, NotifyChannelsTable } from '../store/schema.js';
import type { Template } from './notification.js';

/** At most this many channels: each is a row the delivery loop reads every tick. */
export const MAX_CHANNELS = 200;

interface StoredConfig {
  settings: Record<string, unknown>;
  template?: Template;
}

export interface Channel {
  id: string;
  name: string;
  enabled: boolean;
  groupWaitSec: number;
  groupIntervalSec: number;
  repeatIntervalSec: number;
  template: Template;
  settings: ChannelSettings;
}

export class ChannelStore {
  constructor(
    private readonly db: Db,
    private readonly secretBox: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<ChannelView[]> {
    const rows = await this.db.selectFrom('notify_channels').selectAll().orderBy('name').execute();
    const pending = await this.pendingCounts();
    return rows.map((row) => this.viewOf(row, pending.get(row.id) ?? 0));
  }

  async view(id: string): Promise<ChannelView> {
    const row = await this.row(id);
    const pending = await this.pendingCounts(id);
    return this.viewOf(row, pending.get(id) ?? 0);
  }

  /** The channel with its secrets opened: only for sending. */
  async channel(id: string): Promise<Channel> {
    return this.open(await this.row(id));
  }

  async create(spec: CreateChannel): Promise<ChannelView> {
    const count = await this.db
      .selectFrom('notify_channels')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_CHANNELS) {
      throw new FleetError(
        'conflict',
        `FleetDeck keeps at most ${MAX_CHANNELS} channels: delete one you no longer use.`,
      );
    }
    const now = this.now();
    const id = randomUUID();
    noteAuditFacts({ 'result.id': id });
    await this.insertOrExplain(spec.name, () =>
      this.db
        .insertInto('notify_channels')
        .values({
          id,
          name: spec.name,
          kind: spec.settings.kind,
          ...this.seal(spec.settings, spec.template ?? {}),
          enabled: spec.enabled ? 1 : 0,
          group_wait_sec: spec.groupWaitSec,
          group_interval_sec: spec.groupIntervalSec,
          repeat_interval_sec: spec.repeatIntervalSec,
          failures: 0,
          last_error: null,
          last_failure_at: null,
          last_success_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute(),
    );
    return this.view(id);
  }

  async update(patch: UpdateChannel): Promise<ChannelView> {
    const current = this.open(await this.row(patch.id));
    const changesSettings = patch.settings !== undefined || (patch.clearSecrets?.length ?? 0) > 0;
    const settings = changesSettings
      ? mergeSettings(current.settings, patch.settings ?? current.settings, patch.clearSecrets)
      : current.settings;
    const name = patch.name ?? current.name;
    await this.insertOrExplain(name, () =>
      this.db
        .updateTable('notify_channels')
        .set({
          name,
          kind: settings.kind,
          ...this.seal(settings, patch.template ?? current.template),
          ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
          ...(patch.groupWaitSec === undefined ? {} : { group_wait_sec: patch.groupWaitSec }),
          ...(patch.groupIntervalSec === undefined ? {} : { group_interval_sec: patch.groupIntervalSec }),
          ...(patch.repeatIntervalSec === undefined ? {} : { repeat_interval_sec: patch.repeatIntervalSec }),
          // New settings deserve a fresh verdict: failures of the old ones say nothing about them.
          ...(changesSettings ? { failures: 0, last_error: null } : {}),
          updated_at: this.now(),
        })
        .where('id', '=', patch.id)
        .execute(),
    );
    return this.view(patch.id);
  }

  /** Deletes the channel with its queue and delivery log (foreign keys cascade). */
  async delete(id: string): Promise<void> {
    const result = await this.db.deleteFrom('notify_channels').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('Channel', id);
  }

  private async row(id: string): Promise<NotifyChannelsTable> {
    const row = await this.db.selectFrom('notify_channels').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Channel', id);
    return row;
  }

  private async pendingCounts(id?: string): Promise<Map<string, number>> {
    let query = this.db
      .selectFrom('notify_messages')
      .select(['channel_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'pending')
      .groupBy('channel_id');
    if (id) query = query.where('channel_id', '=', id);
    const rows = await query.execute();
    return new Map(rows.map((r) => [r.channel_id, Number(r.n)]));
  }

  private async insertOrExplain(name: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (/unique|duplicate/i.test((error as Error).message)) {
        throw new FleetError('conflict', `A channel named "${name}" exists already: choose another name.`);
      }
      throw error;
    }
  }

  private seal(settings: ChannelSettings, template: Template): Pick<NotifyChannelsTable, 'config' | 'secrets'> {
    const secretNames = new Set<string>(CHANNEL_SECRET_FIELDS[settings.kind]);
    const plain: Record<string, unknown> = {};
    const secret: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(settings)) {
      if (value === undefined) continue;
      (secretNames.has(key) ? secret : plain)[key] = value;
    }
    const config: StoredConfig = { settings: plain, template };
    return {
      config: JSON.stringify(config),
      secrets: Object.keys(secret).length > 0 ? this.secretBox.seal(JSON.stringify(secret)) : null,
    };
  }

  open(row: NotifyChannelsTable): Channel {
    const config = JSON.parse(row.config) as StoredConfig;
    const secrets = row.secrets ? (JSON.parse(this.secretBox.open(row.secrets)) as Record<string, unknown>) : {};
    const parsed = ChannelSettings.safeParse({ ...config.settings, ...secrets, kind: row.kind });
    if (!parsed.success) {
      throw new FleetError(
        'internal',
        `The saved settings of channel "${row.name}" are not valid any more (${describeZodError(parsed.error)}): edit the channel.`,
      );
    }
    return {
      id: row.id,
      name: row.name,
      enabled: row.enabled === 1,
      groupWaitSec: row.group_wait_sec,
      groupIntervalSec: row.group_interval_sec,
      repeatIntervalSec: row.repeat_interval_sec,
      template: config.template ?? {},
      settings: parsed.data,
    };
  }

  private viewOf(row: NotifyChannelsTable, pending: number): ChannelView {
    const config = JSON.parse(row.config) as StoredConfig;
    const kind = row.kind as ChannelKind;
    const secretNames: readonly string[] = CHANNEL_SECRET_FIELDS[kind] ?? [];
    // Only which secrets are set, and the URL's origin for the kinds whose URL is secret.
    let secretsSet: string[] = [];
    let target = '';
    try {
      const channel = this.open(row);
      const all = channel.settings as Record<string, unknown>;
      secretsSet = secretNames.filter((name) => all[name] !== undefined);
      target = targetOf(channel.settings);
    } catch (error) {
      target = (error as Error).message;
    }
    const failing = row.failures >= FAILING_AFTER;
    return {
      id: row.id,
      name: row.name,
      kind,
      enabled: row.enabled === 1,
      groupWaitSec: row.group_wait_sec,
      groupIntervalSec: row.group_interval_sec,
      repeatIntervalSec: row.repeat_interval_sec,
      settings: { ...config.settings, kind },
      secretsSet,
      template: config.template ?? {},
      target,
      health: {
        state: failing ? 'failing' : row.last_success_at === null && row.failures === 0 ? 'untested' : 'ok',
        failures: row.failures,
        lastError: row.last_error,
        lastFailureAt: nullableNumber(row.last_failure_at),
        lastSuccessAt: nullableNumber(row.last_success_at),
        pending,
      },
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    };
  }
}

const nullableNumber = (value: number | null) => (value === null ? null : Number(value));

/**
 * New settings over saved ones: secrets the update leaves out keep their saved values when the kind
 * stays the same; `clear` forgets optional ones. The result must be complete for its kind.
 */
export function mergeSettings(
  saved: ChannelSettings,
  update: Record<string, unknown> & { kind: ChannelKind },
  clear: readonly string[] = [],
): ChannelSettings {
  const merged: Record<string, unknown> = { ...update };
  if (update.kind === saved.kind) {
    for (const name of CHANNEL_SECRET_FIELDS[saved.kind] as readonly string[]) {
      if (merged[name] === undefined) merged[name] = (saved as Record<string, unknown>)[name];
    }
  }
  for (const name of clear) delete merged[name];
  const parsed = ChannelSettings.safeParse(merged);
  if (!parsed.success) {
    throw new FleetError(
      'bad_request',
      `The ${update.kind} settings are incomplete: ${describeZodError(parsed.error)}.`,
    );
  }
  return parsed.data;
}

/** Where a channel sends, in words, without any secret. */
export function targetOf(settings: ChannelSettings): string {
  const origin = (url: string) => {
    try {
      return new URL(url).origin;
    } catch {
      return '?';
    }
  };
  switch (settings.kind) {
    case 'webhook':
      return origin(settings.url);
    case 'email':
      return `${settings.host}:${settings.port} → ${settings.to.join(', ')}`;
    case 'telegram':
      return `chat ${settings.chatId} via ${origin(settings.apiBaseUrl)}`;
    case 'slack':
    case 'discord':
    case 'teams':
      return origin(settings.webhookUrl);
    case 'ntfy':
      return `${origin(settings.serverUrl)}/${settings.topic}`;
    case 'gotify':
      return origin(settings.serverUrl);
    default: {
      const never: never = settings;
      return String(never);
    }
  }
}
