// Probe definitions in the store. Every change bumps config_versions('probes') in its transaction, so
// every instance reloads what it assigns and evaluates (as alert rules do).
//
// HTTP header values are secrets (an Authorization of the monitored service): the row's spec keeps
// the headers' names only, the values are sealed with the cluster key in `headers_sealed` (context
// `probe-headers:<id>`, listed in secrets/sealed-values.ts so a rotation re-seals them). Definitions
// read here carry the plaintext, for the vantage points' sets only; every view for people masks them
// (service.ts `view`).
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { HEADER_VALUE_MASK, MAX_PROBES } from '../../../agent/probes/spec.js';
import { FleetError } from '../../contract/errors.js';
import { type ProbePatch, type ProbeSpec, type ProbeTarget, probeSpecProblem } from '../../contract/probe-schemas.js';
import { noteAuditFacts } from '../audit/context.js';
import { probeHeadersContext } from '../secrets/sealed-values.js';
import type { Db } from '../store/schema.js';

export interface ProbeDefinition extends ProbeSpec {
  id: string;
  createdAt: number;
  updatedAt: number;
  /** The header values could not be opened here (no cluster key): the probe is not assigned. */
  headersUnavailable?: boolean;
}

/** What seals the header values: the cluster key (secrets/cluster-key.ts). */
export interface HeaderKey {
  seal(trx: Db, plaintext: string, context: string): Promise<string>;
  open(sealed: string, context: string): string;
  readonly ready: boolean;
}

type HttpTarget = Extract<ProbeTarget, { kind: 'http' }>;
/** A header as the spec column holds it: the name, and a value only in rows written before migration 29. */
type StoredHeader = { name: string; value?: string };
type StoredTarget = Exclude<ProbeTarget, HttpTarget> | (Omit<HttpTarget, 'headers'> & { headers: StoredHeader[] });
type Stored = Omit<ProbeSpec, 'name' | 'enabled' | 'target'> & { target: StoredTarget };

const SealedValues = z.array(z.string().max(1024)).max(8);

function specOf<T extends { name: string; enabled: boolean }>(d: T): Omit<T, 'name' | 'enabled'> {
  const { name: _n, enabled: _e, ...rest } = d;
  return rest;
}

export class ProbeDefinitions {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly key: HeaderKey | null = null,
  ) {}

  async version(): Promise<number> {
    const row = await this.db
      .selectFrom('config_versions')
      .select('version')
      .where('name', '=', 'probes')
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }

  async list(): Promise<ProbeDefinition[]> {
    const rows = await this.db.selectFrom('probes').selectAll().orderBy('name').orderBy('id').execute();
    return rows.map((r) => {
      const stored = JSON.parse(r.spec) as Stored;
      const { target, headersUnavailable } = this.opened(r.id, stored.target, r.headers_sealed);
      return {
        ...stored,
        target,
        id: r.id,
        name: r.name,
        enabled: r.enabled === 1,
        createdAt: Number(r.created_at),
        updatedAt: Number(r.updated_at),
        ...(headersUnavailable ? { headersUnavailable } : {}),
      };
    });
  }

  async get(id: string): Promise<ProbeDefinition> {
    const found = (await this.list()).find((p) => p.id === id);
    if (!found) throw new FleetError('not_found', 'No such probe.');
    return found;
  }

  async create(spec: ProbeSpec): Promise<ProbeDefinition> {
    const id = `prb_${randomBytes(8).toString('hex')}`;
    noteAuditFacts({ 'result.id': id });
    const at = this.now();
    const masked = spec.target.kind === 'http' ? spec.target.headers.find((h) => h.value === HEADER_VALUE_MASK) : null;
    if (masked) throw new FleetError('bad_request', `Enter the value of header ${masked.name}: a new probe has none.`);
    await this.changing(async (trx) => {
      const count = await trx
        .selectFrom('probes')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      if (Number(count?.n ?? 0) >= MAX_PROBES) throw new FleetError('conflict', `At most ${MAX_PROBES} probes.`);
      await trx
        .insertInto('probes')
        .values({
          id,
          name: spec.name,
          enabled: spec.enabled ? 1 : 0,
          ...(await this.sealedColumns(trx, id, spec)),
          created_at: at,
          updated_at: at,
        })
        .execute();
    });
    return { ...spec, id, createdAt: at, updatedAt: at };
  }

  async update(patch: ProbePatch): Promise<ProbeDefinition> {
    const current = await this.get(patch.id);
    const { id, ...changes } = patch;
    const next: ProbeDefinition = {
      ...current,
      ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
      ...(patch.target ? { target: this.unmasked(patch.target, current) } : {}),
      updatedAt: this.now(),
    };
    const problem = probeSpecProblem(next);
    if (problem) throw new FleetError('bad_request', problem.message, [problem]);
    const { headersUnavailable: _u, ...spec } = next;
    await this.changing(async (trx) => {
      // Values that do not open here stay sealed as they are when the patch leaves the target alone.
      const columns =
        current.headersUnavailable && !patch.target
          ? { spec: JSON.stringify(specOf(namesOnly(spec))) }
          : await this.sealedColumns(trx, id, spec);
      await trx
        .updateTable('probes')
        .set({ name: next.name, enabled: next.enabled ? 1 : 0, ...columns, updated_at: next.updatedAt })
        .where('id', '=', id)
        .execute();
    });
    return next;
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.changing(async (trx) => {
      await trx.deleteFrom('probe_events').where('probe_id', '=', id).execute();
      await trx.deleteFrom('probe_minutes').where('probe_id', '=', id).execute();
      await trx.deleteFrom('probe_hours').where('probe_id', '=', id).execute();
      await trx.deleteFrom('probes').where('id', '=', id).execute();
    });
  }

  /**
   * Rows written before migration 29 keep header values in the spec's JSON: sealed here, each only if
   * unchanged meanwhile (a full instance holding the key, at start). `sqlite`: freed space is zeroed
   * while they are rewritten and the WAL emptied after, so no copy of a value stays in the files.
   */
  async sealPlaintextHeaders(sqlite: boolean): Promise<number> {
    if (!this.key?.ready) return 0;
    const rows = await this.db
      .selectFrom('probes')
      .select(['id', 'spec'])
      .where('headers_sealed', 'is', null)
      .execute();
    const plain = rows.filter((r) => {
      const { target } = JSON.parse(r.spec) as Stored;
      return target.kind === 'http' && target.headers.some((h) => h.value !== undefined);
    });
    if (plain.length === 0) return 0;
    if (sqlite) await sql`pragma secure_delete = on`.execute(this.db);
    try {
      for (const row of plain) {
        const spec = JSON.parse(row.spec) as Stored;
        if (spec.target.kind !== 'http') continue;
        const values = spec.target.headers.map((h) => h.value ?? '');
        spec.target.headers = spec.target.headers.map((h) => ({ name: h.name }));
        await this.db.transaction().execute(async (trx) => {
          const headers_sealed = await this.sealWith(trx, row.id, JSON.stringify(values));
          await trx
            .updateTable('probes')
            .set({ spec: JSON.stringify(spec), headers_sealed })
            .where('id', '=', row.id)
            .where('spec', '=', row.spec)
            .execute();
        });
      }
    } finally {
      if (sqlite) {
        await sql`pragma secure_delete = off`.execute(this.db);
        await sql`pragma wal_checkpoint(TRUNCATE)`.execute(this.db);
      }
    }
    return plain.length;
  }

  /** The target with its header values: opened, as stored before migration 29, or masked if they do not open. */
  private opened(
    id: string,
    target: StoredTarget,
    sealed: string | null,
  ): { target: ProbeTarget; headersUnavailable: boolean } {
    if (target.kind !== 'http') return { target, headersUnavailable: false };
    let values: string[] | null = [];
    if (sealed !== null) {
      try {
        values = SealedValues.parse(JSON.parse(this.requireKey().open(sealed, probeHeadersContext(id))));
      } catch {
        values = null;
      }
    }
    const headers = target.headers.map((h, i) => ({
      name: h.name,
      value: h.value ?? values?.[i] ?? HEADER_VALUE_MASK,
    }));
    return { target: { ...target, headers }, headersUnavailable: values === null };
  }

  /** A header sent back masked keeps the current value of the header with that name. */
  private unmasked(target: ProbeTarget, current: ProbeDefinition): ProbeTarget {
    if (target.kind !== 'http') return target;
    const before = current.target.kind === 'http' ? current.target.headers : [];
    const headers = target.headers.map((h) => {
      if (h.value !== HEADER_VALUE_MASK) return h;
      const kept = before.find((b) => b.name.toLowerCase() === h.name.toLowerCase());
      if (!kept) throw new FleetError('bad_request', `Enter the value of header ${h.name}: none is stored for it.`);
      if (current.headersUnavailable) throw this.keyMissing();
      return { name: h.name, value: kept.value };
    });
    return { ...target, headers };
  }

  /** The spec (header names only) and the sealed values, for an insert or an update. */
  private async sealedColumns(
    trx: Db,
    id: string,
    spec: ProbeSpec,
  ): Promise<{ spec: string; headers_sealed: string | null }> {
    const values = spec.target.kind === 'http' ? spec.target.headers.map((h) => h.value) : [];
    return {
      spec: JSON.stringify(specOf(namesOnly(spec))),
      headers_sealed: values.length > 0 ? await this.sealWith(trx, id, JSON.stringify(values)) : null,
    };
  }

  private sealWith(trx: Db, id: string, plaintext: string): Promise<string> {
    return this.requireKey().seal(trx, plaintext, probeHeadersContext(id));
  }

  private requireKey(): HeaderKey {
    if (!this.key) throw this.keyMissing();
    return this.key;
  }

  private keyMissing(): FleetError {
    return new FleetError(
      'unavailable',
      'Probe header values are sealed with the cluster key, which this instance does not hold: copy the cluster key file of an instance of the cluster to this host.',
    );
  }

  private async changing(change: (trx: Db) => Promise<void>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await change(trx);
      await trx
        .updateTable('config_versions')
        .set((eb) => ({ version: eb('version', '+', 1) }))
        .where('name', '=', 'probes')
        .execute();
    });
  }
}

/** The spec as the row keeps it: header names, never values. */
function namesOnly(spec: ProbeSpec): Omit<ProbeSpec, 'target'> & { target: StoredTarget } {
  if (spec.target.kind !== 'http') return spec;
  return { ...spec, target: { ...spec.target, headers: spec.target.headers.map((h) => ({ name: h.name })) } };
}
