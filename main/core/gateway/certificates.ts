// The gateway's certificates, kept in the store so every instance of a cluster serves the same one,
// and their rotation (`fleetdeck tls rotate`, POST /api/tls/rotate):
//   1. prepare  — a new key and self-signed certificate, endorsed by the current key (a signature over
//                 its fingerprint), stored as `next` with its key sealed by the cluster key;
//   2. announce — every instance hands its connected agents the pins [current, next] (`pins`, which
//                 they store before `pins-ack`); the rotation waits for their confirmations, at most
//                 the announce timeout;
//   3. switch   — `next` becomes `current`, the old one `previous`: every instance serves the new
//                 certificate from its next handshake on (open connections keep theirs);
//   4. retire   — once every agent that has connected confirmed the new pin, or when the grace ends,
//                 the previous key is deleted and agents are handed the pins [current].
// An agent that missed it all (offline, or older than pin lists) finds an endorsement chain at
// ENDORSEMENTS_PATH on the gateway: each certificate signed by its predecessor's key. It follows it
// from its own pin to the served certificate and pins that (agent/endorsement.ts). The chain is
// public; the keys never leave the store unsealed. Instances notice changes through
// config_versions('tls') (every second) and apply them.
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import selfsigned from 'selfsigned';
import {
  type EndorsementChain,
  endorsementText,
  MAX_PINS,
  type MasterMessage,
  type PinsAckMessage,
} from '../../../agent/protocol.js';
import { FleetError } from '../../contract/errors.js';
import type { Logger } from '../log.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Db, TlsCertificatesTable } from '../store/schema.js';
import { fingerprintOf, type TlsIdentity } from './tls.js';

export const DEFAULT_ROTATION_GRACE_SEC = 7 * 86_400;
export const DEFAULT_ANNOUNCE_TIMEOUT_SEC = 30;
const VERSION_CHECK_MS = 1_000;
/** Endorsements served: enough for an agent away through this many rotations. */
const CHAIN_LENGTH = 16;

export interface CertificatesDeps {
  db: Db;
  /** Seals the private keys; null: this instance cannot open them (no cluster key yet). */
  box: () => SecretBox | null;
  /** Serves it from the next handshake on (and keeps it where the next start reads it). */
  serve: (identity: TlsIdentity) => void;
  send: (nodeId: string, message: MasterMessage) => boolean;
  connectedNodes: () => string[];
  /** The leader retires a previous certificate when its time has come. */
  isLeader: () => boolean;
  hostname: string;
  log: Logger;
  now?: () => number;
}

export interface CertificateView {
  fingerprint: string;
  state: TlsCertificatesTable['state'];
  createdAt: number;
  switchedAt: number | null;
  retireAt: number | null;
}

export interface TlsStatus {
  served: string;
  pins: string[];
  certificates: CertificateView[];
  /** Agents (nodes that ever connected, not revoked) that confirmed the served certificate's pin, and those not yet. */
  confirmed: number;
  unconfirmed: string[];
}

export class GatewayCertificates {
  private served: TlsIdentity;
  /** The pins agents are handed now, and what each connected agent said it keeps. */
  private pins: string[];
  private readonly agentPins = new Map<string, string[] | null>();
  private version = -1;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(
    private readonly deps: CertificatesDeps,
    initial: TlsIdentity,
  ) {
    this.served = initial;
    this.pins = [initial.fingerprint];
    this.now = deps.now ?? Date.now;
  }

  get identity(): TlsIdentity {
    return this.served;
  }

  get currentPins(): string[] {
    return [...this.pins];
  }

  /** Adopts the store's certificate (or stores this instance's, the first time), then watches for changes. */
  async start(): Promise<void> {
    const box = this.deps.box();
    const current = await this.deps.db
      .selectFrom('tls_certificates')
      .select('fingerprint')
      .where('state', '=', 'current')
      .executeTakeFirst();
    if (!current && box) {
      await this.deps.db
        .insertInto('tls_certificates')
        .values(this.row(this.served, 'current', null, null, box))
        .execute()
        .catch(() => undefined); // another instance stored its own first: adopt that one below
    }
    await this.sync();
    this.timer = setInterval(() => void this.checkVersion(), VERSION_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  // ---- agents ------------------------------------------------------------------------------

  /** After hello: an agent that keeps other pins than those handed out now gets them. */
  async onHello(nodeId: string, pins: string[] | undefined): Promise<void> {
    this.agentPins.set(nodeId, pins ?? null);
    if (!pins) return;
    // Confirmations matter while a rotation is under way (they decide when it may retire).
    if (this.pins.length > 1) await this.record(nodeId, pins);
    if (!sameSet(pins, this.pins)) this.hand(nodeId);
  }

  onDisconnected(nodeId: string): void {
    this.agentPins.delete(nodeId);
  }

  async onAck(nodeId: string, ack: PinsAckMessage): Promise<void> {
    if (!this.agentPins.has(nodeId)) return;
    this.agentPins.set(nodeId, ack.pins);
    if (!ack.ok) this.deps.log.warn({ nodeId, error: ack.error }, 'an agent could not store its certificate pins');
    await this.record(nodeId, ack.pins);
  }

  private hand(nodeId: string): void {
    const id = `pin_${this.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    this.deps.send(nodeId, { type: 'pins', id, pins: this.pins });
  }

  private async record(nodeId: string, pins: string[]): Promise<void> {
    const row = { node_id: nodeId, pins: JSON.stringify(pins.slice(0, MAX_PINS)), updated_at: this.now() };
    try {
      const updated = await this.deps.db
        .updateTable('node_tls_pins')
        .set({ pins: row.pins, updated_at: row.updated_at })
        .where('node_id', '=', nodeId)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) await this.deps.db.insertInto('node_tls_pins').values(row).execute();
    } catch (err) {
      this.deps.log.warn({ err, nodeId }, 'could not record the pins an agent keeps');
    }
  }

  // ---- rotation ----------------------------------------------------------------------------

  async rotate(options: { graceSec: number; announceTimeoutSec: number }): Promise<TlsStatus> {
    const box = this.requireBox();
    const rows = await this.rows();
    if (rows.some((r) => r.state === 'next' || r.state === 'previous')) {
      throw new FleetError(
        'conflict',
        'A certificate rotation is still in progress (its previous certificate is not retired yet): wait for it, or retire it with POST /api/tls/retire.',
      );
    }
    const current = rows.find((r) => r.state === 'current');
    if (!current?.key_sealed) throw new FleetError('conflict', 'The store holds no current gateway certificate.');
    const next = await generate(this.deps.hostname);
    const endorsement = sign('sha256', Buffer.from(endorsementText(next.fingerprint)), {
      key: createPrivateKey(box.open(current.key_sealed)),
      dsaEncoding: 'der',
    }).toString('base64');
    await this.deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tls_certificates')
        .values(this.row(next, 'next', current.fingerprint, endorsement, box))
        .execute();
      await bump(trx);
    });
    this.deps.log.info({ next: next.fingerprint }, 'gateway certificate rotation: announcing the next certificate');
    await this.sync();
    await this.waitForConfirmations(next.fingerprint, options.announceTimeoutSec * 1000);
    await this.deps.db.transaction().execute(async (trx) => {
      const at = this.now();
      await trx
        .updateTable('tls_certificates')
        .set({ state: 'previous', retire_at: at + options.graceSec * 1000 })
        .where('fingerprint', '=', current.fingerprint)
        .execute();
      await trx
        .updateTable('tls_certificates')
        .set({ state: 'current', switched_at: at })
        .where('fingerprint', '=', next.fingerprint)
        .execute();
      await bump(trx);
    });
    this.deps.log.info({ current: next.fingerprint }, 'gateway certificate rotation: switched');
    await this.sync();
    await this.retireIfDone();
    return this.status();
  }

  /** Retires the previous certificate now (its agents that did not confirm need the endorsement chain). */
  async retire(): Promise<TlsStatus> {
    await this.retirePrevious();
    return this.status();
  }

  /** Leader, every check: the previous certificate retires once every agent confirmed, or at its grace's end. */
  async retireIfDone(): Promise<void> {
    const previous = (await this.rows()).find((r) => r.state === 'previous');
    if (!previous) return;
    const pending = (await this.status()).unconfirmed.length;
    if (pending === 0 || Number(previous.retire_at) <= this.now()) await this.retirePrevious();
  }

  private async retirePrevious(): Promise<void> {
    const changed = await this.deps.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('tls_certificates')
        .set({ state: 'retired', key_sealed: null })
        .where('state', '=', 'previous')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) await bump(trx);
      return Number(result.numUpdatedRows) > 0;
    });
    if (!changed) return;
    this.deps.log.info('gateway certificate rotation: previous certificate retired (its key deleted)');
    await this.sync();
  }

  /**
   * Until every connected agent that takes pins confirmed `pin`, at most `timeoutMs`. Other instances
   * notice the rotation within a check interval and record their agents before handing them the pins,
   * so the first look waits two intervals.
   */
  private async waitForConfirmations(pin: string, timeoutMs: number): Promise<void> {
    const deadline = this.now() + timeoutMs;
    await sleep(Math.min(timeoutMs, 2 * VERSION_CHECK_MS));
    while (this.now() < deadline) {
      if ((await this.unconfirmedConnected(pin)) === 0) return;
      await sleep(100);
    }
  }

  /** Connected agents (cluster-wide) that can take pins but have not confirmed `pin` yet. */
  private async unconfirmedConnected(pin: string): Promise<number> {
    const rows = await this.deps.db
      .selectFrom('nodes')
      .leftJoin('node_tls_pins', 'node_tls_pins.node_id', 'nodes.id')
      .select(['nodes.id', 'node_tls_pins.pins'])
      .where('nodes.status', '=', 'online')
      .where('nodes.kind', '=', 'agent')
      .where('nodes.revoked_at', 'is', null)
      .execute();
    // Agents older than pin lists never confirm; waiting for them would only delay.
    return rows.filter((r) => r.pins !== null && !(JSON.parse(r.pins) as string[]).includes(pin)).length;
  }

  // ---- what the store says -----------------------------------------------------------------

  async status(): Promise<TlsStatus> {
    const rows = await this.rows();
    const served = rows.find((r) => r.state === 'current')?.fingerprint ?? this.served.fingerprint;
    const nodes = await this.deps.db
      .selectFrom('nodes')
      .leftJoin('node_tls_pins', 'node_tls_pins.node_id', 'nodes.id')
      .select(['nodes.name', 'node_tls_pins.pins'])
      .where('nodes.kind', '=', 'agent')
      .where('nodes.revoked_at', 'is', null)
      .where('nodes.status', '<>', 'never-connected')
      .execute();
    const confirmedBy = (pins: string | null) => pins !== null && (JSON.parse(pins) as string[]).includes(served);
    return {
      served,
      pins: this.pins,
      certificates: rows
        .filter((r) => r.state !== 'retired')
        .map((r) => ({
          fingerprint: r.fingerprint,
          state: r.state,
          createdAt: Number(r.created_at),
          switchedAt: r.switched_at === null ? null : Number(r.switched_at),
          retireAt: r.retire_at === null ? null : Number(r.retire_at),
        })),
      confirmed: nodes.filter((n) => confirmedBy(n.pins)).length,
      unconfirmed: nodes.filter((n) => !confirmedBy(n.pins)).map((n) => n.name),
    };
  }

  /** What GET ENDORSEMENTS_PATH serves: the newest certificates, oldest first, each endorsed by the one before. */
  async endorsements(): Promise<EndorsementChain> {
    const rows = await this.deps.db
      .selectFrom('tls_certificates')
      .select(['cert_pem', 'endorsed_by', 'endorsement', 'created_at'])
      .orderBy('created_at', 'desc')
      .limit(CHAIN_LENGTH)
      .execute();
    return {
      certificates: rows
        .reverse()
        .map((r) => ({ certPem: r.cert_pem, endorsedBy: r.endorsed_by, endorsement: r.endorsement })),
    };
  }

  private async checkVersion(): Promise<void> {
    try {
      const row = await this.deps.db
        .selectFrom('config_versions')
        .select('version')
        .where('name', '=', 'tls')
        .executeTakeFirst();
      if (Number(row?.version ?? 0) !== this.version) await this.sync();
      if (this.deps.isLeader() && this.pins.length > 1) await this.retireIfDone();
    } catch (err) {
      this.deps.log.warn({ err }, 'could not check for gateway certificate changes');
    }
  }

  /** Serves the store's current certificate and hands changed pins to the agents connected here. */
  private async sync(): Promise<void> {
    const version = await this.deps.db
      .selectFrom('config_versions')
      .select('version')
      .where('name', '=', 'tls')
      .executeTakeFirst();
    const rows = await this.rows();
    const current = rows.find((r) => r.state === 'current');
    if (current && current.fingerprint !== this.served.fingerprint) {
      const box = this.deps.box();
      if (!current.key_sealed || !box) {
        this.deps.log.error(
          { fingerprint: current.fingerprint },
          "cannot serve the cluster's gateway certificate: this instance does not hold the cluster key (--cluster-key-file)",
        );
      } else {
        this.served = { key: box.open(current.key_sealed), cert: current.cert_pem, fingerprint: current.fingerprint };
        this.deps.serve(this.served);
        this.deps.log.info({ fingerprint: current.fingerprint }, 'serving the gateway certificate from the store');
      }
    }
    const pins = ['current', 'next', 'previous']
      .map((state) => rows.find((r) => r.state === state)?.fingerprint)
      .filter((f): f is string => f !== undefined);
    this.version = Number(version?.version ?? 0);
    if (pins.length === 0 || sameSet(pins, this.pins)) return;
    this.pins = pins;
    for (const nodeId of this.deps.connectedNodes()) {
      const kept = this.agentPins.get(nodeId);
      if (!kept || sameSet(kept, pins)) continue;
      // Recorded first, so the rotating instance waits for this agent's ack.
      await this.record(nodeId, kept);
      this.hand(nodeId);
    }
  }

  private rows(): Promise<TlsCertificatesTable[]> {
    return this.deps.db.selectFrom('tls_certificates').selectAll().where('state', '<>', 'retired').execute();
  }

  private requireBox(): SecretBox {
    const box = this.deps.box();
    if (!box)
      throw new FleetError('unavailable', 'This instance does not hold the cluster key, which seals the gateway keys.');
    return box;
  }

  private row(
    identity: TlsIdentity,
    state: TlsCertificatesTable['state'],
    endorsedBy: string | null,
    endorsement: string | null,
    box: SecretBox,
  ): TlsCertificatesTable {
    return {
      fingerprint: identity.fingerprint,
      cert_pem: identity.cert,
      key_sealed: box.seal(identity.key),
      state,
      endorsed_by: endorsedBy,
      endorsement,
      created_at: this.now(),
      switched_at: state === 'current' ? this.now() : null,
      retire_at: null,
    };
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

async function bump(trx: Db): Promise<void> {
  await trx
    .updateTable('config_versions')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('name', '=', 'tls')
    .execute();
}

/** A new gateway key and certificate, as the first start makes them (EC P-256, 20 years). */
async function generate(hostname: string): Promise<TlsIdentity> {
  const notAfter = new Date();
  notAfter.setFullYear(notAfter.getFullYear() + 20);
  const pems = await selfsigned.generate([{ name: 'commonName', value: hostname || 'fleetdeck-master' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: notAfter,
  });
  new X509Certificate(pems.cert); // refuse to store something unreadable
  return { key: pems.private, cert: pems.cert, fingerprint: fingerprintOf(pems.cert) };
}
