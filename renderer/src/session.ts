// Picks the transport: the preload bridge when present, otherwise HTTP with the admin token the
// user typed (kept in this browser tab's session storage only).
import { httpTransport, ipcTransport, type Transport } from './transport';

const TOKEN_KEY = 'fleetdeck.adminToken';

export function initialTransport(): Transport | null {
  if (window.fleetdeck) return ipcTransport(window.fleetdeck);
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? httpTransport(token) : null;
}

export async function logIn(token: string): Promise<Transport> {
  const transport = httpTransport(token.trim());
  await transport.call('masterInfo', {});
  sessionStorage.setItem(TOKEN_KEY, token.trim());
  return transport;
}

export function logOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
