// The public status page: its settings in the store (one row), and what visitors get, built every
// `refreshMs` (30 s) into memory — HTML per language, JSON and the badges' figures, each with an ETag —
// so any number of requests costs the database one build a period (five statements), never one each.
// A change of the settings is served at once: by the instance that made it (it rebuilds), and by the
// others of a cluster within `revisionCheckMs` (2 s): they read the settings' revision, one point read,
// and rebuild when it moved — a page switched off is off everywhere, not after the next period.
import { createHash } from 'node:crypto';
import type { Caller } from '../../contract/caller.js';
import { FleetError } from '../../contract/errors.js';
import { type PublicStatusPage, StatusPageConfig, type StatusPageView } from '../../contract/status-page-schemas.js';
import type { Logger } from '../log.js';
import type { DayCalendar } from '../metrics/calendar.js';
import type { Db } from '../store/schema.js';
import { buildPublicPage, type ResolvedEntry, readNodeSubjects, readProbeSubjects, resolveEntries } from './model.js';
import { renderHtml } from './render.js';
import type { PageLanguage } from './strings.js';

const ROW_ID = 'main';
export const DEFAULT_REFRESH_MS = 30_000;
export const DEFAULT_REVISION_CHECK_MS = 2_000;

export interface StatusPageOptions {
  db: Db;
  calendar: DayCalendar;
  log: Logger;
  /** How often the page is rebuilt (default 30 s). */
  refreshMs?: number;
  /** How often the settings' revision is compared with the build's (default 2 s). */
  revisionCheckMs?: number;
  /** The separate listener's address, shown in the settings (`--status-listen`). */
  listen?: string | null;
  now?: () => number;
}

export interface Rendered {
  body: string;
  etag: string;
}

/** One build: the page and everything served from it. */
export interface Snapshot {
  enabled: boolean;
  config: StatusPageConfig;
  revision: number;
  updatedAt: number | null;
  entries: ResolvedEntry[];
  page: PublicStatusPage | null;
  json: Rendered | null;
  html: Map<PageLanguage, Rendered>;
  builtAt: number;
}

const etagOf = (body: string) => `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/** Administrators only: a grant of the administrator role without a selector. */
export function requireAdministrator(caller: Caller): void {
  if (caller.grants.some((g) => g.role === 'administrator' && g.selector === null)) return;
  throw new FleetError('forbidden', 'Only an administrator may see or change the public status page settings.');
}

export class StatusPageService {
  private snapshot: Snapshot | null = null;
  private building: Promise<Snapshot> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly refreshMs: number;
  private readonly now: () => number;
  /** Builds so far (tests and /api/health-like checks count them). */
  builds = 0;

  constructor(private readonly options: StatusPageOptions) {
    this.refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.now = options.now ?? Date.now;
  }

  /** Starts the periodic rebuild (the first build runs at once, in the background). */
  start(): void {
    if (this.timers.length > 0) return;
    void this.rebuild().catch((err) => this.options.log.warn({ err }, 'status page: first build failed'));
    const refresh = setInterval(() => {
      void this.rebuild().catch((err) =>
        this.options.log.warn({ err }, 'status page: build failed; serving the last one'),
      );
    }, this.refreshMs);
    const watch = setInterval(() => {
      void this.rebuildIfChanged().catch((err) =>
        this.options.log.warn({ err }, 'status page: could not read the settings revision'),
      );
    }, this.options.revisionCheckMs ?? DEFAULT_REVISION_CHECK_MS);
    this.timers = [refresh, watch];
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Another instance saved the settings (their revision moved past this build's): rebuild now. */
  private async rebuildIfChanged(): Promise<void> {
    if (!this.snapshot || this.building) return;
    const row = await this.options.db
      .selectFrom('status_page')
      .select('revision')
      .where('id', '=', ROW_ID)
      .executeTakeFirst();
    if (Number(row?.revision ?? 0) !== this.snapshot.revision) await this.rebuild();
  }

  /** The current build; the first request after start waits for the first build (shared by all). */
  async current(): Promise<Snapshot> {
    if (this.snapshot) return this.snapshot;
    return this.rebuild();
  }

  /** Rebuilds now; calls while one runs share it. */
  rebuild(): Promise<Snapshot> {
    if (this.building) return this.building;
    this.building = this.build()
      .then((s) => {
        this.snapshot = s;
        return s;
      })
      .finally(() => {
        this.building = null;
      });
    return this.building;
  }

  /** The HTML for a language, rendered once per build. */
  html(snapshot: Snapshot, language: PageLanguage): Rendered | null {
    if (!snapshot.page) return null;
    let rendered = snapshot.html.get(language);
    if (!rendered) {
      const body = renderHtml(snapshot.page, language, this.options.calendar.timeZone);
      rendered = { body, etag: etagOf(body) };
      snapshot.html.set(language, rendered);
    }
    return rendered;
  }

  async view(caller: Caller): Promise<StatusPageView> {
    requireAdministrator(caller);
    return this.viewOf(await this.rebuild());
  }

  async update(config: StatusPageConfig, caller: Caller): Promise<StatusPageView> {
    requireAdministrator(caller);
    const parsed = StatusPageConfig.parse(config);
    const text = JSON.stringify(parsed);
    const t = this.now();
    const db = this.options.db;
    await db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('status_page').select('revision').where('id', '=', ROW_ID).executeTakeFirst();
      if (row) {
        await trx
          .updateTable('status_page')
          .set({
            config: text,
            revision: Number(row.revision) + 1,
            updated_at: t,
            updated_by: caller.name.slice(0, 256),
          })
          .where('id', '=', ROW_ID)
          .execute();
      } else {
        await trx
          .insertInto('status_page')
          .values({ id: ROW_ID, config: text, revision: 1, updated_at: t, updated_by: caller.name.slice(0, 256) })
          .execute();
      }
    });
    // Wait for a build in flight (it read the old settings), then build with the new ones.
    await this.building?.catch(() => undefined);
    return this.viewOf(await this.rebuild());
  }

  private viewOf(s: Snapshot): StatusPageView {
    return {
      config: s.config,
      revision: s.revision,
      updatedAt: s.updatedAt,
      listen: this.options.listen ?? null,
      entries: s.entries.map((e) => ({
        group: e.group,
        key: e.key,
        name: e.name,
        kind: e.subject.kind,
        id: e.subject.id,
      })),
    };
  }

  private async readConfig(): Promise<{ config: StatusPageConfig; revision: number; updatedAt: number | null }> {
    const row = await this.options.db
      .selectFrom('status_page')
      .select(['config', 'revision', 'updated_at'])
      .where('id', '=', ROW_ID)
      .executeTakeFirst();
    if (!row) return { config: StatusPageConfig.parse({}), revision: 0, updatedAt: null };
    const parsed = StatusPageConfig.safeParse(JSON.parse(row.config));
    if (!parsed.success) {
      // Written by a newer or broken FleetDeck: off rather than half shown.
      this.options.log.warn('status page: the stored settings do not validate; the page is off');
      return { config: StatusPageConfig.parse({}), revision: Number(row.revision), updatedAt: Number(row.updated_at) };
    }
    return { config: parsed.data, revision: Number(row.revision), updatedAt: Number(row.updated_at) };
  }

  private async build(): Promise<Snapshot> {
    this.builds += 1;
    const { config, revision, updatedAt } = await this.readConfig();
    const base = { config, revision, updatedAt, html: new Map(), builtAt: this.now() };
    if (!config.enabled && config.groups.length === 0) {
      return { ...base, enabled: false, entries: [], page: null, json: null };
    }
    const { groups } = config;
    const wants = (kind: 'node' | 'probe') => groups.some((g) => g.items.some((i) => i.kind === kind));
    const subjects = [
      ...(wants('node') ? await readNodeSubjects(this.options.db) : []),
      ...(wants('probe') ? await readProbeSubjects(this.options.db) : []),
    ];
    const entries = resolveEntries(config, subjects);
    if (!config.enabled) return { ...base, enabled: false, entries, page: null, json: null };
    const page = await buildPublicPage(this.options.db, config, entries, this.options.calendar, this.now());
    const body = JSON.stringify(page);
    return { ...base, enabled: true, entries, page, json: { body, etag: etagOf(body) } };
  }
}
