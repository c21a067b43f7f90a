import { useState } from 'react';
import { Login } from './Login';
import { NodesPage } from './NodesPage';
import { initialTransport, logOut } from './session';
import { clientOf, type Transport } from './transport';

export function App() {
  const [transport, setTransport] = useState<Transport | null>(initialTransport);
  if (!transport) return <Login onLoggedIn={setTransport} />;
  return (
    <div className="app">
      <header className="topbar">
        <strong>FleetDeck</strong>
        {transport.kind === 'http' && (
          <button
            type="button"
            className="link"
            onClick={() => {
              logOut();
              setTransport(null);
            }}
          >
            Log out
          </button>
        )}
      </header>
      <NodesPage client={clientOf(transport)} transport={transport} />
    </div>
  );
}
