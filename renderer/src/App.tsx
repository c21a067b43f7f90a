import { useState } from 'react';
import { Login } from './Login';
import { NodesPage } from './NodesPage';
import { RunCommand } from './RunCommand';
import { initialTransport, logOut } from './session';
import { clientOf, type Transport } from './transport';

export function App() {
  const [transport, setTransport] = useState<Transport | null>(initialTransport);
  const [screen, setScreen] = useState<'nodes' | 'run'>('nodes');
  if (!transport) return <Login onLoggedIn={setTransport} />;
  const client = clientOf(transport);
  return (
    <div className="app">
      <header className="topbar">
        <strong>FleetDeck</strong>
        <nav>
          <button type="button" aria-pressed={screen === 'nodes'} onClick={() => setScreen('nodes')}>
            Nodes
          </button>
          <button type="button" aria-pressed={screen === 'run'} onClick={() => setScreen('run')}>
            Run command
          </button>
        </nav>
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
      {screen === 'nodes' ? (
        <NodesPage client={client} transport={transport} />
      ) : (
        <RunCommand client={client} transport={transport} />
      )}
    </div>
  );
}
