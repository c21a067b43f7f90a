// Picks the transport: the preload bridge when present; otherwise HTTP, signed in with an account (the
// session cookie the master sets, see /api/auth) or with the admin token the user typed (kept in this
// browser tab's session storage only).
import { ApiError, httpTransport, ipcTransport, type Transport } from './transport';

const TOKEN_KEY = 'fleetdeck.adminToken';

export interface AuthState {
  setupRequired: boolean;
  oidc: { enabled: boolean; label: string };
  signedIn: boolean;
}

export function initialTransport(): Transport | null {
  if (window.fleetdeck) return ipcTransport(window.fleetdeck);
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? httpTransport(token) : null;
}

/** With the admin token: checked by one call before it is kept. */
export async function logIn(token: string): Promise<Transport> {
  const transport = httpTransport(token.trim());
  await transport.call('masterInfo', {});
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  return transport;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as {
    error?: { code: string; message: string };
    secondFactorRequired?: boolean;
  };
  if (!response.ok) {
    throw Object.assign(
      new ApiError(json.error?.code ?? 'internal', json.error?.message ?? `HTTP ${response.status}`),
      {
        secondFactorRequired: json.secondFactorRequired === true,
      },
    );
  }
  return json;
}

export async function authState(): Promise<AuthState> {
  const response = await fetch('/api/auth', { cache: 'no-store' });
  if (!response.ok) throw new ApiError('unavailable', `HTTP ${response.status}`);
  return (await response.json()) as AuthState;
}

/** Name + password (+ code): the master sets the session cookies; errors carry `secondFactorRequired`. */
export async function signIn(input: { name: string; password: string; code?: string }): Promise<Transport> {
  await post('/api/auth/sign-in', input);
  return httpTransport(null);
}

export async function completeSetup(input: { token: string; name: string; password: string }): Promise<Transport> {
  await post('/api/auth/setup', input);
  return httpTransport(null);
}

/** Forgets the admin token of this tab; a browser session is signed out at the master. */
export async function logOut(transport: Transport | null): Promise<void> {
  const hadToken = sessionStorage.getItem(TOKEN_KEY) !== null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (transport?.kind !== 'http' || hadToken) return;
  const match = /(?:^|;\s*)fleetdeck_csrf=([^;]+)/.exec(document.cookie);
  const csrf = match ? decodeURIComponent(match[1] as string) : '';
  await post('/api/auth/sign-out', {}, { 'x-fleetdeck-csrf': csrf }).catch(() => undefined);
}
