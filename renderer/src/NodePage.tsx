// One node: live and historical charts, monthly transfer, host facts, uptime and actions.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import type { Client, OutputOf } from '../../main/contract/contract';
import { parseLabels } from '../../main/contract/labels';
import { type Credentials, CredentialsPanel } from './AddNode';
import { Chart, type ChartSeries } from './Chart';
import { useNow } from './clock';
import { CommandList } from './commands/Commands';
import { useStaleSince } from './connection';
import { useDialogs } from './dialogs';
import { latestError } from './errors';
import { ago, bytes, duration, percent, rate } from './format';
import type { Transport } from './transport';

const RANGES = [
  { id: '10m', label: '10 min', ms: 600_000 },
  { id: '1h', label: '1 h', ms: 3_600_000 },
  { id: '24h', label: '24 h', ms: 86_400_000 },
  { id: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { id: '30d', label: '30 d', ms: 30 * 86_400_000 },
] as const;
type RangeId = (typeof RANGES)[number]['id'];
/** The node page lists this many of the node's commands (older ones page on). */
const RECENT_COMMANDS = 10;

interface Series {
  times: number[];
  /** The rollup bucket (null for live samples: their typical spacing is used). */
  stepMs: number | null;
  cpu: Array<number | null>;
  memUsed: Array<number | null>;
  rx: Array<number | null>;
  tx: Array<number | null>;
  diskRead: Array<number | null>;
  diskWrite: Array<number | null>;
}

const STEP_SEC = { '1m': 60, '1h': 3600, '1d': 86_400 } as const;

function fromRollups(data: OutputOf<'metricSeries'>): Series {
  const sec = STEP_SEC[data.step];
  const p = data.points;
  return {
    times: p.map((x) => x.t),
    stepMs: sec * 1000,
    cpu: p.map((x) => x.cpuAvg),
    memUsed: p.map((x) => x.memUsedAvg),
    rx: p.map((x) => x.rxBytes / sec),
    tx: p.map((x) => x.txBytes / sec),
    diskRead: p.map((x) => x.diskReadBytes / sec),
    diskWrite: p.map((x) => x.diskWriteBytes / sec),
  };
}

function fromLive(data: OutputOf<'liveMetrics'>): Series {
  const r = data.recent;
  return {
    times: r.t,
    stepMs: null,
    cpu: r.cpu,
    memUsed: r.memUsed,
    rx: r.rxBps,
    tx: r.txBps,
    diskRead: r.diskReadBps,
    diskWrite: r.diskWriteBps,
  };
}

function useSeries(client: Client, transport: Transport, id: string, range: RangeId) {
  const queryClient = useQueryClient();
  const live = useQuery({
    queryKey: ['liveMetrics', id],
    queryFn: () => client.liveMetrics({ id }),
  });
  useEffect(
    () =>
      transport.events.on('metrics', (data) => {
        if (data.nodes.some((n) => n.nodeId === id))
          void queryClient.invalidateQueries({ queryKey: ['liveMetrics', id] });
      }),
    [transport, queryClient, id],
  );
  const span = RANGES.find((r) => r.id === range)?.ms ?? 3_600_000;
  const history = useQuery({
    queryKey: ['metricSeries', id, range],
    queryFn: () => client.metricSeries({ id, from: Date.now() - span }),
    enabled: range !== '10m',
    refetchInterval: 60_000,
  });
  const series =
    range === '10m' ? (live.data ? fromLive(live.data) : null) : history.data ? fromRollups(history.data) : null;
  // Only the error of the range on screen; each clears with that query's next success.
  return { live: live.data, series, error: range === '10m' ? live.error : history.error };
}

export function NodePage({
  client,
  transport,
  nodeId,
  onBack,
  onBrowse,
  onOpenCommand,
}: {
  client: Client;
  transport: Transport;
  nodeId: string;
  onBack: () => void;
  onBrowse: (nodeId: string) => void;
  onOpenCommand: (commandId: string) => void;
}) {
  const node = useQuery({ queryKey: ['node', nodeId], queryFn: () => client.getNode({ id: nodeId }) });
  // Refetched on this node's status events (sync.ts) and as the 24 h window moves.
  const uptime = useQuery({
    queryKey: ['uptime', nodeId],
    queryFn: () => client.nodeUptime({ id: nodeId, hours: 24 }),
    refetchInterval: 60_000,
  });
  const transfer = useQuery({
    queryKey: ['transfer', nodeId],
    queryFn: () => client.nodeTransfer({ id: nodeId, cycle: 'current' }),
    refetchInterval: 60_000,
  });
  const [range, setRange] = useState<RangeId>('10m');
  const { live, series, error } = useSeries(client, transport, nodeId, range);
  const [credentials, setCredentials] = useState<Credentials | null>(null);
  const now = useNow();
  const staleSince = useStaleSince(transport);

  const charts = useMemo(() => chartsOf(series), [series]);
  const n = node.data;
  if (node.isError) {
    return (
      <main>
        <button type="button" onClick={onBack}>
          ← All nodes
        </button>
        <p role="alert" className="error">
          {node.error.message}
        </p>
      </main>
    );
  }
  const latest = live?.latest;
  // Offline, or the master unreachable: the figures are the last known ones, greyed with their age.
  const seenAt = n?.status === 'online' ? staleSince : (n?.lastSeenAt ?? null);
  const stale = n !== undefined && (n.status !== 'online' || staleSince !== null);
  return (
    <main className="node-page">
      <header className="node-header">
        <button type="button" onClick={onBack}>
          ← All nodes
        </button>
        <h1>{n?.name ?? '…'}</h1>
        {n && <span className={`status ${n.status}`}>{n.revoked ? 'revoked' : n.status}</span>}
        <span className="hint">{n && !stale ? 'connected now' : `last seen ${ago(seenAt, now)}`}</span>
        {n?.capabilities?.files && (
          <button type="button" onClick={() => onBrowse(nodeId)}>
            Browse files
          </button>
        )}
      </header>
      {credentials && <CredentialsPanel credentials={credentials} live={n} onClose={() => setCredentials(null)} />}
      <section
        className={stale ? 'now stale' : 'now'}
        aria-label={stale ? `Last known values, ${ago(seenAt, now)}` : 'Now'}
        title={stale ? `Not live: last known values, ${ago(seenAt, now)}` : undefined}
      >
        <Figure label="CPU" value={percent(latest?.cpu?.usage)} />
        <Figure label="Load" value={latest?.load ? latest.load.map((l) => l.toFixed(2)).join(' ') : '—'} />
        <Figure label="Memory" value={`${bytes(latest?.memory?.used)} / ${bytes(latest?.memory?.total)}`} />
        <Figure label="Network" value={`↓ ${rate(latest?.net?.rxBps)} ↑ ${rate(latest?.net?.txBps)}`} />
        <Figure label="Processes" value={String(latest?.processes ?? '—')} />
        <Figure
          label="TCP / UDP"
          value={latest?.connections ? `${latest.connections.tcp} / ${latest.connections.udp}` : '—'}
        />
        <Figure label="Uptime" value={latest ? duration(latest.uptimeSec) : '—'} />
        <Figure
          label="This billing cycle"
          value={transfer.data ? `↓ ${bytes(transfer.data.rxBytes)} ↑ ${bytes(transfer.data.txBytes)}` : '—'}
          hint={
            transfer.data
              ? `${transfer.data.cycleStart} → ${transfer.data.cycleEnd} (${transfer.data.timeZone})`
              : undefined
          }
        />
      </section>
      <fieldset className="ranges">
        <legend className="visually-hidden">Chart range</legend>
        {RANGES.map((r) => (
          <button key={r.id} type="button" aria-pressed={range === r.id} onClick={() => setRange(r.id)}>
            {r.label}
          </button>
        ))}
      </fieldset>
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
      {series && series.times.length === 0 && <p className="empty">No samples in this range yet.</p>}
      <div className="charts">
        {charts.map((c) => (
          <Chart
            key={c.title}
            title={c.title}
            times={series?.times ?? []}
            series={c.series}
            format={c.format}
            spanMs={RANGES.find((r) => r.id === range)?.ms ?? 600_000}
            stepMs={series?.stepMs ?? undefined}
          />
        ))}
      </div>
      <div className="columns">
        <div>
          <Facts node={n} latest={latest} uptimeRatio={uptime.data?.ratio ?? null} />
          <h2>Status history (24 h)</h2>
          {(uptime.data?.events.length ?? 0) === 0 ? (
            <p className="hint">No connects or disconnects in the last 24 hours.</p>
          ) : (
            <ul className="status-history">
              {[...(uptime.data?.events ?? [])]
                .reverse()
                .slice(0, 20)
                .map((e) => (
                  <li key={`${e.at}-${e.status}`}>
                    <span className={`status ${e.status}`}>{e.status}</span> {new Date(e.at).toLocaleString()}{' '}
                    <span className="hint">{e.reason}</span>
                  </li>
                ))}
            </ul>
          )}
          <h2>Recent commands</h2>
          <CommandList
            client={client}
            filters={{ nodeId }}
            onOpen={onOpenCommand}
            pageSize={RECENT_COMMANDS}
            showNode={false}
          />
        </div>
        {n && <Actions client={client} node={n} onCredentials={setCredentials} onDeleted={onBack} />}
      </div>
    </main>
  );
}

function chartsOf(
  series: Series | null,
): Array<{ title: string; series: ChartSeries[]; format: (v: number) => string }> {
  const s = series ?? { cpu: [], memUsed: [], rx: [], tx: [], diskRead: [], diskWrite: [] };
  return [
    { title: 'CPU', series: [{ label: 'busy', values: s.cpu, color: '#0969da' }], format: (v) => `${v.toFixed(0)}%` },
    { title: 'Memory used', series: [{ label: 'used', values: s.memUsed, color: '#8250df' }], format: bytes },
    {
      title: 'Network',
      series: [
        { label: 'received', values: s.rx, color: '#1a7f37' },
        { label: 'sent', values: s.tx, color: '#bf8700' },
      ],
      format: rate,
    },
    {
      title: 'Disk I/O',
      series: [
        { label: 'read', values: s.diskRead, color: '#0550ae' },
        { label: 'write', values: s.diskWrite, color: '#cf222e' },
      ],
      format: rate,
    },
  ];
}

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="figure">
      <span className="hint">{label}</span>
      <strong>{value}</strong>
      {hint && <span className="hint">{hint}</span>}
    </div>
  );
}

function Facts({
  node,
  latest,
  uptimeRatio,
}: {
  node: OutputOf<'getNode'> | undefined;
  latest: OutputOf<'liveMetrics'>['latest'] | undefined;
  uptimeRatio: number | null;
}) {
  if (!node) return null;
  const rows: Array<[string, string]> = [
    ['Hostname', node.hostname ?? '—'],
    ['OS', `${node.os ?? '—'} ${node.arch ?? ''}`],
    ['Kernel', node.kernel ?? '—'],
    ['Agent', node.agentVersion ?? '—'],
    ['Address', node.remoteAddress ?? '—'],
    ['Uptime (24 h)', uptimeRatio === null ? '—' : percent(uptimeRatio * 100)],
    [
      'Capabilities',
      node.capabilities
        ? [
            node.capabilities.exec && 'exec',
            node.capabilities.files && 'files',
            node.capabilities.filesWrite && 'files:write',
          ]
            .filter(Boolean)
            .join(', ') || 'none'
        : '—',
    ],
    ['Disks', latest?.disks?.map((d) => `${d.mount} ${bytes(d.used)} / ${bytes(d.total)}`).join(' · ') || '—'],
    [
      'Interfaces',
      latest?.net?.interfaces.map((i) => `${i.name}${i.speedMbps ? ` (${i.speedMbps} Mbit/s)` : ''}`).join(', ') || '—',
    ],
    [
      'Labels',
      Object.entries(node.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '—',
    ],
  ];
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

function Actions({
  client,
  node,
  onCredentials,
  onDeleted,
}: {
  client: Client;
  node: OutputOf<'getNode'>;
  onCredentials: (c: Credentials) => void;
  onDeleted: () => void;
}) {
  const queryClient = useQueryClient();
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: ['node', node.id] });
    void queryClient.invalidateQueries({ queryKey: ['nodes'] });
  };
  const [name, setName] = useState(node.name);
  const [labels, setLabels] = useState(
    Object.entries(node.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', '),
  );
  const update = useMutation({
    mutationFn: () => client.updateNode({ id: node.id, name, labels: parseLabels(labels) }),
    onSettled: refresh,
  });
  const dialogs = useDialogs();
  const rotate = useMutation({
    mutationFn: () => client.rotateNodeToken({ id: node.id }),
    onSuccess: onCredentials,
    onSettled: refresh,
  });
  const revoke = useMutation({ mutationFn: () => client.revokeNode({ id: node.id }), onSettled: refresh });
  const remove = useMutation({
    mutationFn: () => client.deleteNode({ id: node.id }),
    onSuccess: () => {
      refresh();
      onDeleted();
    },
  });
  // The latest action's outcome: an earlier failure is gone once a later action succeeded.
  const error = latestError([update, rotate, revoke, remove]);
  const delivery = rotate.data?.delivery;
  const save = (event: FormEvent) => {
    event.preventDefault();
    update.mutate();
  };
  return (
    <section className="actions-panel" aria-label="Actions">
      <form onSubmit={save}>
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Labels <input value={labels} placeholder="role=web, env=prod" onChange={(e) => setLabels(e.target.value)} />
        </label>
        <button type="submit" disabled={update.isPending}>
          Save
        </button>
      </form>
      {delivery && (
        <p className={`token-delivery ${delivery.status}`} role="status">
          {delivery.message}
        </p>
      )}
      {node.kind === 'agent' && (
        <div className="row">
          <button
            type="button"
            onClick={async () => {
              const yes = await dialogs.confirm({
                title: `Rotate the token of ${node.name}?`,
                message:
                  node.status === 'online'
                    ? 'A new token is made now and sent to the connected agent, which stores it and switches to it; the old one keeps working for 5 minutes.'
                    : `${node.name} is not connected: its agent keeps the old token, which works for 5 more minutes. If it reconnects in that time it is given the new one; after that the agent is refused until you give it the new token.`,
                confirmLabel: 'Rotate token',
              });
              if (yes) rotate.mutate();
            }}
          >
            Rotate token
          </button>
          <button
            type="button"
            onClick={async () => {
              const yes = await dialogs.confirm({
                title: `Revoke ${node.name}?`,
                message: 'Its token stops working now and its agent is disconnected from every master.',
                confirmLabel: 'Revoke',
                danger: true,
              });
              if (yes) revoke.mutate();
            }}
          >
            Revoke
          </button>
          <button
            type="button"
            className="danger"
            onClick={async () => {
              const yes = await dialogs.confirm({
                title: `Delete ${node.name}?`,
                message: 'The node, its token and its history are deleted. This cannot be undone.',
                confirmLabel: 'Delete node',
                danger: true,
              });
              if (yes) remove.mutate();
            }}
          >
            Delete
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="error">
          {error.message}
        </p>
      )}
    </section>
  );
}
