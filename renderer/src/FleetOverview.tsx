// Fleet overview: every node with live CPU, memory, disk and network, searchable, filterable and
// sortable, virtualized so ten thousand rows scroll smoothly while updating about once a second.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';
import { AddNode, type Credentials, CredentialsPanel } from './AddNode';
import { useNow } from './clock';
import { useStaleSince } from './connection';
import { ago, bytes, percent, rate, share } from './format';
import { SshInstall } from './install/SshInstall';
import { type NodeLive, useFleetLive } from './live';
import { Sparkline } from './Sparkline';
import { nodesQuery } from './sync';
import type { Transport } from './transport';
import { SortHeader, VirtualRows } from './VirtualTable';

type Node = OutputOf<'listNodes'>[number];
type SortKey = 'status' | 'name' | 'cpu' | 'memory' | 'disk' | 'rx' | 'tx' | 'os' | 'lastSeen';

const COLUMNS: Array<{ key: SortKey; label: string }> = [
  { key: 'status', label: 'Status' },
  { key: 'name', label: 'Name' },
  { key: 'cpu', label: 'CPU' },
  { key: 'memory', label: 'Memory' },
  { key: 'disk', label: 'Disk' },
  { key: 'rx', label: 'Net ↓' },
  { key: 'tx', label: 'Net ↑' },
  { key: 'os', label: 'OS / agent' },
  { key: 'lastSeen', label: 'Last seen' },
];

function sortValue(key: SortKey, node: Node, live: NodeLive | undefined): number | string {
  switch (key) {
    case 'status':
      return node.status;
    case 'name':
      return node.name.toLowerCase();
    case 'cpu':
      return live?.cpu ?? -1;
    case 'memory':
      return share(live?.memUsed ?? null, live?.memTotal ?? null) ?? -1;
    case 'disk':
      return share(live?.diskUsed ?? null, live?.diskTotal ?? null) ?? -1;
    case 'rx':
      return live?.rxBps ?? -1;
    case 'tx':
      return live?.txBps ?? -1;
    case 'os':
      return `${node.os ?? ''} ${node.agentVersion ?? ''}`;
    case 'lastSeen':
      return node.status === 'online' ? Number.MAX_SAFE_INTEGER : (node.lastSeenAt ?? 0);
  }
}

function matches(node: Node, search: string): boolean {
  if (!search) return true;
  const haystack = [
    node.name,
    node.hostname,
    node.os,
    node.remoteAddress,
    ...Object.entries(node.labels).map(([k, v]) => `${k}=${v}`),
  ]
    .join(' ')
    .toLowerCase();
  return search
    .toLowerCase()
    .split(/\s+/)
    .every((term) => haystack.includes(term));
}

function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function FleetOverview({
  client,
  transport,
  onOpen,
}: {
  client: Client;
  transport: Transport;
  onOpen: (nodeId: string) => void;
}) {
  const queryClient = useQueryClient();
  const nodes = useQuery(nodesQuery(client));
  const traffic = useQuery({
    queryKey: ['traffic', 'today'],
    queryFn: () => client.trafficReport({ from: startOfToday() }),
    refetchInterval: 60_000,
  });
  const live = useFleetLive(client, transport);
  const [credentials, setCredentials] = useState<Credentials | null>(null);
  const [search, setSearch] = useState('');
  const [status, setStatus] = useState<'all' | Node['status']>('all');
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'name', desc: false });

  const all = nodes.data ?? [];
  const rows = useMemo(() => {
    const filtered = all.filter((n) => (status === 'all' || n.status === status) && matches(n, search));
    const dir = sort.desc ? -1 : 1;
    return filtered.sort((a, b) => {
      const va = sortValue(sort.key, a, live.byNode.get(a.id));
      const vb = sortValue(sort.key, b, live.byNode.get(b.id));
      return va < vb ? -dir : va > vb ? dir : a.name.localeCompare(b.name);
    });
  }, [all, status, search, sort, live]);
  const online = all.filter((n) => n.status === 'online').length;
  const staleSince = useStaleSince(transport);

  return (
    <main className="fleet">
      <section className="totals" aria-label="Fleet totals">
        <span>
          <strong>{all.length}</strong> nodes
        </span>
        <span className="status online">
          {online} online
          {staleSince !== null && <span className="hint"> (as of {new Date(staleSince).toLocaleTimeString()})</span>}
        </span>
        <span className="status offline">{all.length - online} offline or never connected</span>
        <span>
          traffic today ↓ {bytes(traffic.data?.rxBytes)} ↑ {bytes(traffic.data?.txBytes)}
        </span>
      </section>
      <AddNode
        client={client}
        onCreated={(c) => {
          setCredentials(c);
          void queryClient.invalidateQueries({ queryKey: ['nodes'] });
        }}
      />
      <details className="ssh-details">
        <summary>Install an agent over SSH</summary>
        <SshInstall client={client} transport={transport} />
      </details>
      {credentials && (
        <CredentialsPanel
          credentials={credentials}
          live={all.find((n) => n.id === credentials.node.id)}
          onClose={() => setCredentials(null)}
        />
      )}
      {nodes.isError && (
        <p role="alert" className="error">
          {nodes.error.message}
        </p>
      )}
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search nodes"
          placeholder="Search name, host, OS, label (role=web)…"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <select aria-label="Status filter" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          <option value="all">all statuses</option>
          <option value="online">online</option>
          <option value="offline">offline</option>
          <option value="never-connected">never connected</option>
        </select>
        <span className="hint">
          {rows.length} of {all.length} shown
        </span>
      </div>
      {all.length === 0 && !nodes.isLoading ? (
        <p className="empty">No nodes yet. Add one above, then run the command it shows on that server.</p>
      ) : (
        <NodeGrid rows={rows} live={live} staleSince={staleSince} sort={sort} onSort={setSort} onOpen={onOpen} />
      )}
    </main>
  );
}

/**
 * What the last-seen column says, and whether the row's values are live. Offline nodes show their
 * last values greyed with their age; with the master unreachable every row is as of the outage.
 */
function seen(node: Node, staleSince: number | null, now: number): { text: string; stale: boolean } {
  if (node.status !== 'online') return { text: ago(node.lastSeenAt, now), stale: true };
  if (staleSince !== null) return { text: ago(staleSince, now), stale: true };
  return { text: 'now', stale: false };
}

function NodeGrid({
  rows,
  live,
  staleSince,
  sort,
  onSort,
  onOpen,
}: {
  rows: Node[];
  live: ReturnType<typeof useFleetLive>;
  staleSince: number | null;
  sort: { key: SortKey; desc: boolean };
  onSort: (s: { key: SortKey; desc: boolean }) => void;
  onOpen: (id: string) => void;
}) {
  const now = useNow();
  return (
    <table className="grid" aria-label="Nodes" aria-rowcount={rows.length + 1}>
      <thead>
        <tr className="grid-row grid-head">
          {COLUMNS.map((c) => (
            <SortHeader
              key={c.key}
              label={c.label}
              sortKey={c.key}
              sort={sort}
              onSort={onSort}
              descFirst={c.key !== 'name'}
            />
          ))}
          <th>Labels</th>
        </tr>
      </thead>
      <VirtualRows
        items={rows}
        rowHeight={34}
        overscan={12}
        rowClass="grid-row"
        rowKey={(node) => node.id}
        rowProps={(node) => ({
          'data-node-id': node.id,
          'data-stale': String(seen(node, staleSince, now).stale),
        })}
      >
        {(node) => {
          const m = live.byNode.get(node.id);
          const lastSeen = seen(node, staleSince, now);
          return (
            <>
              <td>
                <span className={`status ${node.status}`}>{node.revoked ? 'revoked' : node.status}</span>
              </td>
              <td>
                <button type="button" className="link" onClick={() => onOpen(node.id)}>
                  {node.name}
                </button>
              </td>
              <td className="cpu">
                <span>{percent(m?.cpu)}</span>
                <Sparkline values={live.cpuHistory.get(node.id) ?? []} label={`CPU history of ${node.name}`} />
              </td>
              <td title={`${bytes(m?.memUsed)} of ${bytes(m?.memTotal)}`}>
                {percent(share(m?.memUsed ?? null, m?.memTotal ?? null))}
              </td>
              <td title={`${bytes(m?.diskUsed)} of ${bytes(m?.diskTotal)}`}>
                {percent(share(m?.diskUsed ?? null, m?.diskTotal ?? null))}
              </td>
              <td>{rate(m?.rxBps)}</td>
              <td>{rate(m?.txBps)}</td>
              <td>
                {node.os ?? '—'} <span className="hint">{node.agentVersion ?? ''}</span>
              </td>
              <td
                className="last-seen"
                title={
                  lastSeen.stale
                    ? `last seen ${lastSeen.text}: the values in this row are from then, not live`
                    : undefined
                }
              >
                {lastSeen.text}
              </td>
              <td>
                {Object.entries(node.labels).map(([k, v]) => (
                  <span key={k} className="label">
                    {k}={v}
                  </span>
                ))}
              </td>
            </>
          );
        }}
      </VirtualRows>
    </table>
  );
}
