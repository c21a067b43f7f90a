import { type FormEvent, useState } from 'react';
import { logIn } from './session';
import type { Transport } from './transport';

export function Login({ onLoggedIn }: { onLoggedIn: (t: Transport) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      onLoggedIn(await logIn(token));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <form className="login" onSubmit={submit}>
      <h1>FleetDeck</h1>
      <label htmlFor="token">Admin token</label>
      {/* biome-ignore lint/a11y/noAutofocus: the only field on the login screen */}
      <input id="token" type="password" autoFocus value={token} onChange={(e) => setToken(e.target.value)} />
      <p className="hint">It is in the file admin-token of the master's data dir, or in FLEETDECK_ADMIN_TOKEN.</p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={!token.trim()}>
        Log in
      </button>
    </form>
  );
}
