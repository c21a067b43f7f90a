import { useState } from 'react';
import { FleetOverview } from './FleetOverview';
import { Login } from './Login';
import { NodePage } from './NodePage';
import { RunCommand } from './RunCommand';
import { initialTransport, logOut } from './session';
import { clientOf, type Transport } from './transport';

export function App() {
  const [transport, setTransport] = useState<Transport | null>(initialTransport);
  const [screen, setScreen] = useState<'nodes' | 'run'>('nodes');
  const [openNode, setOpenNode] = useState<string | null>(null);
  if (!transport) return <Login onLoggedIn={setTransport} />;
  const client = clientOf(transport);
  return (
    <div className="app">
      <header className="topbar">
        <strong>FleetDeck</strong>
        <nav>
          <button
            type="button"
            aria-pressed={screen === 'nodes'}
            onClick={() => {
              setScreen('nodes');
              setOpenNode(null);
            }}
          >
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
      {screen === 'nodes' && openNode ? (
        <NodePage client={client} transport={transport} nodeId={openNode} onBack={() => setOpenNode(null)} />
      ) : screen === 'nodes' ? (
        <FleetOverview client={client} transport={transport} onOpen={setOpenNode} />
      ) : (
        <RunCommand client={client} transport={transport} />
      )}
    </div>
  );
}
