// Enrollment codes: what a one-line install trades for a node token. A code is 8 characters of
// Crockford base32 (40 bits), shown once and kept as its SHA-256; it lives 15 minutes by default and
// enrolls one named node or a batch of up to N hosts. Guessing is bounded by the gateway's failure
// limiter (20 wrong codes a minute per address) and the code's short life.
import { randomBytes, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { DEFAULT_CODE_TTL_SEC, type EnrollmentCodeView } from '../../contract/enroll-schemas.js';
import { FleetError, notFound } from '../../contract/errors.js';
import type { NodeRegistry } from '../nodes/registry.js';
import { hashToken } from '../nodes/tokens.js';
import type { Db, EnrollmentCodesTable } from '../store/schema.js';

type CodeView = z.infer<typeof EnrollmentCodeView>;

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `ABCD-EFGH` from 40 random bits (5 bytes = 8 symbols of 5 bits). */
export function generateCode(): string {
  const bytes = randomBytes(5);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let text = '';
  for (let i = 7; i >= 0; i--) text += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return `${text.slice(0, 4)}-${text.slice(4)}`;
}

/** The stored form of a code given as typed (already normalized by the contract: no dash, upper case). */
const hashCode = (normalized: string) => hashToken(`enroll:${normalized}`);

export interface Redeemed {
  nodeId: string;
  nodeName: string;
  token: string;
}

export class EnrollmentCodes {
  constructor(
    private readonly db: Db,
    private readonly registry: NodeRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: { name?: string; labels?: Record<string, string>; maxUses?: number; ttlSec?: number }) {
    const code = generateCode();
    const at = this.now();
    const row: EnrollmentCodesTable = {
      id: randomUUID(),
      code_hash: hashCode(code.replace('-', '')),
      node_name: input.name ?? null,
      labels: JSON.stringify(input.labels ?? {}),
      max_uses: input.maxUses ?? 1,
      uses: 0,
      created_at: at,
      expires_at: at + (input.ttlSec ?? DEFAULT_CODE_TTL_SEC) * 1000,
      revoked_at: null,
      last_used_at: null,
    };
    await this.db.insertInto('enrollment_codes').values(row).execute();
    return { code, enrollment: this.toView(row, []) };
  }

  /** Newest first; codes that ended more than a day ago are left out. */
  async list(): Promise<CodeView[]> {
    const since = this.now() - 86_400_000;
    const rows = await this.db
      .selectFrom('enrollment_codes')
      .selectAll()
      .where('expires_at', '>', since)
      .orderBy('created_at', 'desc')
      .limit(500)
      .execute();
    const uses = rows.length
      ? await this.db
          .selectFrom('enrollment_uses')
          .select(['code_id', 'node_id'])
          .where(
            'code_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('at')
          .execute()
      : [];
    return rows.map((row) =>
      this.toView(
        row,
        uses.filter((u) => u.code_id === row.id).map((u) => u.node_id),
      ),
    );
  }

  async revoke(id: string): Promise<CodeView> {
    const row = await this.db.selectFrom('enrollment_codes').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Enrollment code', id);
    await this.db
      .updateTable('enrollment_codes')
      .set({ revoked_at: this.now() })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return (await this.list()).find((c) => c.id === id) ?? this.toView({ ...row, revoked_at: this.now() }, []);
  }

  /**
   * Trades a code for a new node and its token. The use is taken by one guarded update (so two
   * hosts racing for a single-use code cannot both win, on any number of masters); a refused code
   * says why, in words the install script prints.
   */
  async redeem(normalizedCode: string, host: { hostname: string; remoteAddress: string }): Promise<Redeemed> {
    const codeHash = hashCode(normalizedCode);
    const at = this.now();
    const taken = await this.db
      .updateTable('enrollment_codes')
      .set((eb) => ({ uses: eb('uses', '+', 1), last_used_at: at }))
      .where('code_hash', '=', codeHash)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', at)
      .whereRef('uses', '<', 'max_uses')
      .executeTakeFirst();
    const row = await this.db
      .selectFrom('enrollment_codes')
      .selectAll()
      .where('code_hash', '=', codeHash)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 0 || !row) throw refusal(row, at);
    try {
      const name = row.node_name ?? host.hostname;
      const created = await this.registry.create({ name, labels: JSON.parse(row.labels) as Record<string, string> });
      await this.db
        .insertInto('enrollment_uses')
        .values({
          code_id: row.id,
          node_id: created.node.id,
          hostname: host.hostname,
          remote_addr: host.remoteAddress,
          at,
        })
        .execute();
      return { nodeId: created.node.id, nodeName: name, token: created.token as string };
    } catch (error) {
      // The node could not be created: give the use back so the same line can be run again.
      await this.db
        .updateTable('enrollment_codes')
        .set((eb) => ({ uses: eb('uses', '-', 1) }))
        .where('id', '=', row.id)
        .execute();
      throw error;
    }
  }

  private toView(row: EnrollmentCodesTable, nodeIds: string[]): CodeView {
    return {
      id: row.id,
      name: row.node_name,
      labels: JSON.parse(row.labels) as Record<string, string>,
      maxUses: row.max_uses,
      uses: row.uses,
      createdAt: Number(row.created_at),
      expiresAt: Number(row.expires_at),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
      lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
      state: stateOf(row, this.now()),
      nodeIds,
    };
  }
}

function stateOf(row: EnrollmentCodesTable, now: number): CodeView['state'] {
  if (row.revoked_at !== null) return 'revoked';
  if (row.uses >= row.max_uses) return 'used';
  if (Number(row.expires_at) <= now) return 'expired';
  return 'active';
}

/** Why a code was not accepted, for the person at the host's shell. */
function refusal(row: EnrollmentCodesTable | undefined, now: number): FleetError {
  const again = 'Create a new code under Add a node (or POST /api/enrollment-codes) and run the install line again.';
  if (!row)
    return new FleetError('unauthorized', `This enrollment code is not known to the master. Check it. ${again}`);
  switch (stateOf(row, now)) {
    case 'revoked':
      return new FleetError('conflict', `This enrollment code was revoked. ${again}`);
    case 'used':
      return new FleetError(
        'conflict',
        row.max_uses === 1
          ? `This enrollment code was already used (at ${new Date(Number(row.last_used_at)).toISOString()}); a code enrolls one host. ${again}`
          : `This enrollment code already enrolled its ${row.max_uses} hosts. ${again}`,
      );
    default:
      return new FleetError(
        'conflict',
        `This enrollment code expired at ${new Date(Number(row.expires_at)).toISOString()}. ${again}`,
      );
  }
}
