// The UI's own connection to the master: a banner while the event stream is down (with the retry
// countdown and a "Retry now" button), and a hook screens use to stop presenting values as live.
import { useSyncExternalStore } from 'react';
import { useNow } from './clock';
import type { Connection } from './events';
import type { Transport } from './transport';

export function useConnection(transport: Transport): Connection {
  return useSyncExternalStore(
    (onChange) => transport.events.onConnection(onChange),
    () => transport.events.connection,
  );
}

/** When the shown values stopped being live (the outage's start), or null while connected. */
export function useStaleSince(transport: Transport): number | null {
  const connection = useConnection(transport);
  return connection.state === 'lost' ? connection.since : null;
}

export function ConnectionBanner({ transport }: { transport: Transport }) {
  const connection = useConnection(transport);
  const now = useNow();
  if (connection.state !== 'lost') return null;
  const seconds = Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
  return (
    <div role="alert" className="connection-lost">
      <span>
        Connection to the master lost — reconnecting (retry in {seconds} s)… Values shown are from{' '}
        {new Date(connection.since).toLocaleTimeString()}.
      </span>{' '}
      <button type="button" onClick={() => transport.events.retryNow()}>
        Retry now
      </button>
    </div>
  );
}
