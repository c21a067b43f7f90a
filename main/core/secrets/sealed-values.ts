// Every sealed value the store holds, in one place: what a rotation re-seals and what an instance
// that notices a rotation re-seals if it was written under the previous key meanwhile. Each value is
// sealed with the record it belongs to as context (secret-box.ts), named here once.
import type { Db } from '../store/schema.js';

export interface SealedValue {
  table:
    | 'ssh_credentials'
    | 'ssh_tunnels'
    | 'notify_channels'
    | 'tls_certificates'
    | 'users'
    | 'oidc_settings'
    | 'probes';
  id: string;
  sealed: string;
}

export const credentialContext = (id: string) => `ssh-credential:${id}`;
export const tunnelContext = (nodeId: string) => `ssh-tunnel:${nodeId}`;
/** An HTTP probe's header values (core/probes/definitions.ts). */
export const probeHeadersContext = (probeId: string) => `probe-headers:${probeId}`;
/** Notification channels seal through ClusterKey.secretBox, whose context is fixed per purpose. */
export const NOTIFY_CHANNEL_CONTEXT = 'notify-channel';
/** The gateway's private keys (gateway/certificates.ts), likewise. */
export const TLS_KEY_CONTEXT = 'gateway-tls-key';
/** Accounts' TOTP secrets (core/people/; the plaintext names its account, so a copied one does not open). */
export const TOTP_SECRET_CONTEXT = 'totp-secret';
/** The OpenID Connect client secret (core/people/oidc.ts). */
export const OIDC_SECRET_CONTEXT = 'oidc-client-secret';

export function contextOf(value: SealedValue): string {
  if (value.table === 'ssh_credentials') return credentialContext(value.id);
  if (value.table === 'ssh_tunnels') return tunnelContext(value.id);
  if (value.table === 'probes') return probeHeadersContext(value.id);
  if (value.table === 'tls_certificates') return TLS_KEY_CONTEXT;
  if (value.table === 'users') return TOTP_SECRET_CONTEXT;
  if (value.table === 'oidc_settings') return OIDC_SECRET_CONTEXT;
  return NOTIFY_CHANNEL_CONTEXT;
}

/** Every sealed value; with `notUnder`, only those not sealed with that key. */
export async function readSealedValues(db: Db, notUnder?: string): Promise<SealedValue[]> {
  const prefix = notUnder ? `fdk1.${notUnder}.%` : null;
  let credentials = db.selectFrom('ssh_credentials').select(['id', 'sealed']);
  if (prefix) credentials = credentials.where('sealed', 'not like', prefix);
  let tunnels = db.selectFrom('ssh_tunnels').select(['node_id', 'sealed_auth']);
  if (prefix) tunnels = tunnels.where('sealed_auth', 'not like', prefix);
  let channels = db.selectFrom('notify_channels').select(['id', 'secrets']).where('secrets', 'is not', null);
  if (prefix) channels = channels.where('secrets', 'not like', prefix);
  let gatewayKeys = db
    .selectFrom('tls_certificates')
    .select(['fingerprint', 'key_sealed'])
    .where('key_sealed', 'is not', null);
  if (prefix) gatewayKeys = gatewayKeys.where('key_sealed', 'not like', prefix);
  let totp = db.selectFrom('users').select(['id', 'totp_sealed']).where('totp_sealed', 'is not', null);
  if (prefix) totp = totp.where('totp_sealed', 'not like', prefix);
  let oidc = db
    .selectFrom('oidc_settings')
    .select(['id', 'client_secret_sealed'])
    .where('client_secret_sealed', 'is not', null);
  if (prefix) oidc = oidc.where('client_secret_sealed', 'not like', prefix);
  let probeHeaders = db.selectFrom('probes').select(['id', 'headers_sealed']).where('headers_sealed', 'is not', null);
  if (prefix) probeHeaders = probeHeaders.where('headers_sealed', 'not like', prefix);
  return [
    ...(await totp.execute()).map((r) => ({ table: 'users' as const, id: r.id, sealed: r.totp_sealed as string })),
    ...(await oidc.execute()).map((r) => ({
      table: 'oidc_settings' as const,
      id: r.id,
      sealed: r.client_secret_sealed as string,
    })),
    ...(await gatewayKeys.execute()).map((r) => ({
      table: 'tls_certificates' as const,
      id: r.fingerprint,
      sealed: r.key_sealed as string,
    })),
    ...(await credentials.execute()).map((r) => ({ table: 'ssh_credentials' as const, id: r.id, sealed: r.sealed })),
    ...(await tunnels.execute()).map((r) => ({ table: 'ssh_tunnels' as const, id: r.node_id, sealed: r.sealed_auth })),
    ...(await channels.execute()).map((r) => ({
      table: 'notify_channels' as const,
      id: r.id,
      sealed: r.secrets as string,
    })),
    ...(await probeHeaders.execute()).map((r) => ({
      table: 'probes' as const,
      id: r.id,
      sealed: r.headers_sealed as string,
    })),
  ];
}

/** Replaces one value, only if it is still the one read (a concurrent change wins). */
export async function replaceSealedValue(db: Db, value: SealedValue, sealed: string): Promise<void> {
  if (value.table === 'ssh_credentials') {
    await db
      .updateTable('ssh_credentials')
      .set({ sealed })
      .where('id', '=', value.id)
      .where('sealed', '=', value.sealed)
      .execute();
  } else if (value.table === 'tls_certificates') {
    await db
      .updateTable('tls_certificates')
      .set({ key_sealed: sealed })
      .where('fingerprint', '=', value.id)
      .where('key_sealed', '=', value.sealed)
      .execute();
  } else if (value.table === 'users') {
    await db
      .updateTable('users')
      .set({ totp_sealed: sealed })
      .where('id', '=', value.id)
      .where('totp_sealed', '=', value.sealed)
      .execute();
  } else if (value.table === 'oidc_settings') {
    await db
      .updateTable('oidc_settings')
      .set({ client_secret_sealed: sealed })
      .where('id', '=', value.id)
      .where('client_secret_sealed', '=', value.sealed)
      .execute();
  } else if (value.table === 'probes') {
    // The spec is not touched: only the sealing changes, so vantage points need no new set.
    await db
      .updateTable('probes')
      .set({ headers_sealed: sealed })
      .where('id', '=', value.id)
      .where('headers_sealed', '=', value.sealed)
      .execute();
  } else if (value.table === 'notify_channels') {
    await db
      .updateTable('notify_channels')
      .set({ secrets: sealed })
      .where('id', '=', value.id)
      .where('secrets', '=', value.sealed)
      .execute();
  } else {
    await db
      .updateTable('ssh_tunnels')
      .set({ sealed_auth: sealed })
      .where('node_id', '=', value.id)
      .where('sealed_auth', '=', value.sealed)
      .execute();
  }
}
