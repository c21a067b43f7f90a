// Optional OpenID Connect sign-in (openid-client): authorization code flow with PKCE, state and
// nonce. Settings live in one `oidc_settings` row (the client secret sealed with the cluster key);
// a sign-in on its way through the provider is an `oidc_logins` row (its state hashed), so the
// callback may land on any master sharing the database. The claim named by `nameClaim` picks the
// account: bound by issuer + subject after the first sign-in; a new person gets an account (with the
// default role) only when `autoCreate` is on.
import * as client from 'openid-client';
import type { z } from 'zod';
import type { OidcSettingsView, SaveOidcSettings } from '../../contract/account-schemas.js';
import type { RoleGrant } from '../../contract/caller.js';
import { FleetError } from '../../contract/errors.js';
import { hashToken } from '../nodes/tokens.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { Db } from '../store/schema.js';
import { grantFromRow, type UserRow, type Users } from './users.js';

/** How long the person has at the provider. */
const LOGIN_TTL_MS = 10 * 60_000;
/** Discovery is cached this long per instance (settings changes clear it). */
const DISCOVERY_TTL_MS = 10 * 60_000;

type View = z.infer<typeof OidcSettingsView>;
type Save = z.output<typeof SaveOidcSettings>;

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

export class OidcSignIn {
  private cached: { at: number; config: client.Configuration; key: string } | null = null;

  constructor(
    private readonly db: Db,
    private readonly users: Users,
    private readonly box: () => SecretBox | null,
    private readonly now: () => number = Date.now,
  ) {}

  private row() {
    return this.db.selectFrom('oidc_settings').selectAll().where('id', '=', 'default').executeTakeFirst();
  }

  async view(): Promise<View | null> {
    const row = await this.row();
    if (!row) return null;
    const grant = row.default_role ? grantFromRow({ role: row.default_role, selector: row.default_selector }) : null;
    return {
      enabled: row.enabled === 1,
      label: row.label,
      issuer: row.issuer,
      clientId: row.client_id,
      hasClientSecret: row.client_secret_sealed !== null,
      redirectUrl: row.redirect_url,
      nameClaim: row.name_claim,
      autoCreate: row.auto_create === 1,
      defaultGrant: grant ? { role: grant.role, selector: grant.selector ? [...grant.selector] : null } : null,
    };
  }

  /** What the sign-in page shows. */
  async publicState(): Promise<{ enabled: boolean; label: string }> {
    const row = await this.row();
    return { enabled: row?.enabled === 1, label: row?.label ?? '' };
  }

  async save(input: Save): Promise<View> {
    const issuer = new URL(input.issuer);
    if (issuer.protocol !== 'https:' && !isLoopback(issuer)) {
      throw new FleetError('bad_request', 'The issuer must be an https:// URL (http:// only on loopback, for tests).');
    }
    const existing = await this.row();
    let sealed = existing?.client_secret_sealed ?? null;
    if (input.clientSecret === null) sealed = null;
    else if (input.clientSecret !== undefined) sealed = this.requireBox().seal(input.clientSecret);
    const values = {
      enabled: input.enabled ? 1 : 0,
      label: input.label,
      issuer: input.issuer,
      client_id: input.clientId,
      client_secret_sealed: sealed,
      redirect_url: input.redirectUrl,
      name_claim: input.nameClaim,
      auto_create: input.autoCreate ? 1 : 0,
      default_role: input.defaultGrant?.role ?? null,
      default_selector: input.defaultGrant?.selector ? JSON.stringify(input.defaultGrant.selector) : null,
      updated_at: this.now(),
    };
    if (existing) await this.db.updateTable('oidc_settings').set(values).where('id', '=', 'default').execute();
    else
      await this.db
        .insertInto('oidc_settings')
        .values({ id: 'default', ...values })
        .execute();
    this.cached = null;
    return (await this.view()) as View;
  }

  private requireBox(): SecretBox {
    const box = this.box();
    if (!box)
      throw new FleetError(
        'unavailable',
        'This instance does not hold the cluster key, which seals the client secret.',
      );
    return box;
  }

  private async enabledRow() {
    const row = await this.row();
    if (row?.enabled !== 1) throw new FleetError('not_found', 'Single sign-on is not set up on this master.');
    if (!row) throw new FleetError('not_found', 'Single sign-on is not set up on this master.');
    return row;
  }

  private async configuration(row: NonNullable<Awaited<ReturnType<OidcSignIn['row']>>>): Promise<client.Configuration> {
    const key = `${row.issuer}|${row.client_id}|${row.updated_at}`;
    if (this.cached && this.cached.key === key && this.now() - this.cached.at < DISCOVERY_TTL_MS)
      return this.cached.config;
    const secret = row.client_secret_sealed ? this.requireBox().open(row.client_secret_sealed) : undefined;
    const issuer = new URL(row.issuer);
    const config = await client.discovery(
      issuer,
      row.client_id,
      undefined,
      secret ? client.ClientSecretPost(secret) : client.None(),
      isLoopback(issuer) && issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
    );
    this.cached = { at: this.now(), config, key };
    return config;
  }

  /** Where to send the browser: the provider's authorization URL for a new, stored state. */
  async start(): Promise<URL> {
    const row = await this.enabledRow();
    const config = await this.configuration(row);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    await this.db.deleteFrom('oidc_logins').where('expires_at', '<', this.now()).execute();
    await this.db
      .insertInto('oidc_logins')
      .values({ state_hash: hashToken(state), nonce, code_verifier: verifier, expires_at: this.now() + LOGIN_TTL_MS })
      .execute();
    return client.buildAuthorizationUrl(config, {
      redirect_uri: row.redirect_url,
      scope: 'openid profile email',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
  }

  /** The provider sent the browser back: the account it names (found, bound or created). */
  async finish(callbackUrl: URL): Promise<UserRow> {
    const row = await this.enabledRow();
    const state = callbackUrl.searchParams.get('state') ?? '';
    const pending = await this.takeLogin(state);
    if (!pending) throw new FleetError('unauthorized', 'This sign-in link is used or expired: start again.');
    const config = await this.configuration(row);
    let claims: Record<string, unknown> & { iss: string; sub: string };
    try {
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.code_verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new Error('no ID token');
      claims = { ...idToken };
      // Many providers put profile claims in the userinfo answer only (OIDC Core 5.4): ask it then.
      if (claims[row.name_claim] === undefined) {
        const info = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
        claims = { ...info, ...claims, [row.name_claim]: info[row.name_claim] };
      }
    } catch (error) {
      throw new FleetError('unauthorized', `The identity provider's answer was refused: ${(error as Error).message}`);
    }
    return this.accountFor(row, claims);
  }

  /** Read, then delete (the delete decides which callback got it: a state is used once). */
  private async takeLogin(state: string) {
    const hash = hashToken(state);
    const found = await this.db
      .selectFrom('oidc_logins')
      .selectAll()
      .where('state_hash', '=', hash)
      .where('expires_at', '>', this.now())
      .executeTakeFirst();
    if (!found) return undefined;
    const deleted = await this.db.deleteFrom('oidc_logins').where('state_hash', '=', hash).executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1 ? found : undefined;
  }

  private async accountFor(
    row: NonNullable<Awaited<ReturnType<OidcSignIn['row']>>>,
    claims: Record<string, unknown> & { iss: string; sub: string },
  ): Promise<UserRow> {
    const subject = `${claims.iss}#${claims.sub}`.slice(0, 700);
    const bound = await this.db.selectFrom('users').selectAll().where('oidc_subject', '=', subject).executeTakeFirst();
    if (bound) return bound;
    const claimed = claims[row.name_claim];
    const name = typeof claimed === 'string' ? claimed.trim().slice(0, 128) : '';
    if (!/^[\p{L}\p{N}._@+-]+$/u.test(name)) {
      throw new FleetError(
        'forbidden',
        `The identity provider sent no usable "${row.name_claim}" claim to name the account.`,
      );
    }
    const existing = await this.users.byName(name);
    if (existing) {
      if (existing.oidc_subject !== null)
        throw new FleetError('forbidden', `The account ${name} is bound to another identity.`);
      // A name claim is whatever the provider lets its users call themselves: an account that has a
      // password (an administrator's, say) is never handed to an identity that merely shares its name.
      // Only one made for single sign-on (no password) is bound, at its first sign-in.
      if (existing.password_hash !== null)
        throw new FleetError(
          'forbidden',
          `The account ${name} signs in with its password, not through the identity provider: sign in with the password.`,
        );
      await this.db.updateTable('users').set({ oidc_subject: subject }).where('id', '=', existing.id).execute();
      return { ...existing, oidc_subject: subject };
    }
    if (row.auto_create !== 1) {
      throw new FleetError('forbidden', `There is no account ${name} here: ask an administrator to create it.`);
    }
    const grant = row.default_role ? grantFromRow({ role: row.default_role, selector: row.default_selector }) : null;
    const grants: RoleGrant[] = grant ? [grant] : [];
    return this.users.create({ name, password: null, grants, oidcSubject: subject });
  }
}
