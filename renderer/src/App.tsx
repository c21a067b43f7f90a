import { useCallback, useEffect, useState } from 'react';
import { Commands } from './Commands';
import { ConnectionBanner } from './connection';
import { Files } from './Files';
import { FleetOverview } from './FleetOverview';
import { Login } from './Login';
import { NodePage } from './NodePage';
import { RunCommand } from './RunCommand';
import { Settings } from './Settings';
import { initialTransport, logOut } from './session';
import { useEventSync } from './sync';
import { Tasks } from './Tasks';
import { applyTheme, initialTheme, nextTheme, type Theme } from './theme';
import { clientOf, type Transport } from './transport';

type Screen = 'nodes' | 'run' | 'commands' | 'tasks' | 'files' | 'settings';
const SCREENS: Array<[Screen, string, string]> = [
  ['nodes', 'Nodes', '1'],
  ['run', 'Run command', '2'],
  ['commands', 'Commands', '3'],
  ['tasks', 'Tasks', '4'],
  ['files', 'Files', '5'],
  ['settings', 'Settings', '6'],
];

export function App() {
  const [transport, setTransport] = useState<Transport | null>(initialTransport);
  const [screen, setScreen] = useState<Screen>('nodes');
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [openNode, setOpenNode] = useState<string | null>(null);
  const [filesNode, setFilesNode] = useState<string | null>(null);
  const [openCommand, setOpenCommand] = useState<string | null>(null);

  useEffect(() => applyTheme(theme), [theme]);
  // Alt+1…6 switch screens from anywhere.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!event.altKey) return;
      const target = SCREENS.find(([, , key]) => key === event.key);
      if (!target) return;
      event.preventDefault();
      setScreen(target[0]);
      setOpenNode(null);
      setOpenCommand(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const endSession = useCallback(() => {
    logOut();
    setTransport((current) => {
      current?.close();
      return null;
    });
  }, []);

  if (!transport) return <Login onLoggedIn={setTransport} />;
  const client = clientOf(transport);
  const go = (next: Screen) => {
    setScreen(next);
    setOpenNode(null);
    setOpenCommand(null);
  };
  const showCommand = (id: string) => {
    go('commands');
    setOpenCommand(id);
  };
  return (
    <div className="app">
      <header className="topbar">
        <strong>FleetDeck</strong>
        <nav>
          {SCREENS.map(([id, label, key]) => (
            <button key={id} type="button" aria-pressed={screen === id} title={`Alt+${key}`} onClick={() => go(id)}>
              {label}
            </button>
          ))}
        </nav>
        <span>
          <button type="button" className="link" onClick={() => setTheme(nextTheme(theme))} title="Colour theme">
            Theme: {theme}
          </button>{' '}
          {transport.kind === 'http' && (
            <button type="button" className="link" onClick={endSession}>
              Log out
            </button>
          )}
        </span>
      </header>
      <LiveConnection transport={transport} onUnauthorized={endSession} />
      {screen === 'nodes' && openNode ? (
        <NodePage
          client={client}
          transport={transport}
          nodeId={openNode}
          onBack={() => setOpenNode(null)}
          onBrowse={(id) => {
            setFilesNode(id);
            go('files');
          }}
          onOpenCommand={showCommand}
        />
      ) : screen === 'nodes' ? (
        <FleetOverview client={client} transport={transport} onOpen={setOpenNode} />
      ) : screen === 'run' ? (
        <RunCommand client={client} transport={transport} onOpenCommand={showCommand} />
      ) : screen === 'commands' ? (
        <Commands client={client} openId={openCommand} onOpen={setOpenCommand} onClose={() => setOpenCommand(null)} />
      ) : screen === 'tasks' ? (
        <Tasks client={client} />
      ) : screen === 'files' ? (
        <Files client={client} transport={transport} nodeId={filesNode} onNodeChange={setFilesNode} />
      ) : (
        <Settings client={client} />
      )}
    </div>
  );
}

/** The one event stream: keeps the cache true, shows the banner while it is down, logs out on 401. */
function LiveConnection({ transport, onUnauthorized }: { transport: Transport; onUnauthorized: () => void }) {
  useEventSync(transport);
  useEffect(
    () =>
      transport.events.onConnection((connection) => {
        if (connection.state === 'unauthorized') onUnauthorized();
      }),
    [transport, onUnauthorized],
  );
  return <ConnectionBanner transport={transport} />;
}
