// One node: status and the figures of now, live and historical charts, daily uptime with outages,
// traffic per interface, space per mount, top processes on demand, facts, recent commands and actions.
import { Alert, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { IconFolder } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { type Credentials, CredentialsPanel } from '../AddNode';
import { useNow } from '../clock';
import { CommandList } from '../commands/Commands';
import { useStaleSince } from '../connection';
import { StatusBadge } from '../fleet/node-bits';
import { ago, bytes, duration, number, percent, rate } from '../format';
import type { Transport } from '../transport';
import { Chart, type ChartSeries } from './Chart';
import { Disks, Interfaces } from './HostSections';
import { Facts, NodeActions } from './NodeActions';
import { NodeUptime } from './NodeUptime';
import { RANGES, type RangeId, rangeMs, type Series, useSeries } from './node-series';
import { TopProcesses } from './TopProcesses';
import './node.css';
import { useAccess } from '../access';

/** The node page lists this many of the node's commands (older ones page on). */
const RECENT_COMMANDS = 10;

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
  const { t } = useTranslation('node');
  const access = useAccess();
  const node = useQuery({ queryKey: ['node', nodeId], queryFn: () => client.getNode({ id: nodeId }) });
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
  const charts = useMemo(() => chartsOf(series, t), [series, t]);
  const back = (
    <Button variant="subtle" onClick={onBack}>
      {t('back')}
    </Button>
  );
  const n = node.data;
  if (node.isError) {
    return (
      <main className="node-page">
        {back}
        <Alert color="red" role="alert">
          {node.error.message}
        </Alert>
      </main>
    );
  }
  const latest = live?.latest;
  // Offline, or the master unreachable: the figures are the last known ones, greyed with their age.
  const seenAt = n?.status === 'online' ? staleSince : (n?.lastSeenAt ?? null);
  const stale = n !== undefined && (n.status !== 'online' || staleSince !== null);
  const asOf = t('now.asOf', { age: ago(seenAt, now) });
  return (
    <main className="node-page">
      <Group gap="sm" mb="sm" wrap="wrap">
        {back}
        <Title order={1} size="h2">
          {n?.name ?? '…'}
        </Title>
        {n && <StatusBadge node={n} now={now} />}
        <Text size="sm" c="dimmed">
          {n && !stale ? t('connectedNow') : t('lastSeen', { age: ago(seenAt, now) })}
        </Text>
        {n?.capabilities?.files && access.mayOn('operator', n.labels) && (
          <Button
            variant="light"
            size="xs"
            leftSection={<IconFolder size={16} aria-hidden />}
            onClick={() => onBrowse(nodeId)}
          >
            {t('browseFiles')}
          </Button>
        )}
      </Group>
      {credentials && <CredentialsPanel credentials={credentials} live={n} onClose={() => setCredentials(null)} />}
      <section
        className={stale ? 'now stale' : 'now'}
        aria-label={stale ? asOf : t('now.label')}
        title={stale ? asOf : undefined}
        data-stale={String(stale)}
      >
        <SimpleGrid cols={{ base: 2, sm: 4, lg: 8 }} spacing="xs" mb="md">
          <Figure label={t('now.cpu')} value={percent(latest?.cpu?.usage)} />
          <Figure label={t('now.load')} value={latest?.load ? latest.load.map((l) => number(l, 2)).join(' ') : '—'} />
          <Figure label={t('now.memory')} value={`${bytes(latest?.memory?.used)} / ${bytes(latest?.memory?.total)}`} />
          <Figure label={t('now.network')} value={`↓ ${rate(latest?.net?.rxBps)} ↑ ${rate(latest?.net?.txBps)}`} />
          <Figure label={t('now.processes')} value={number(latest?.processes)} />
          <Figure
            label={t('now.connections')}
            value={latest?.connections ? `${number(latest.connections.tcp)} / ${number(latest.connections.udp)}` : '—'}
          />
          <Figure label={t('now.uptime')} value={latest ? duration(latest.uptimeSec) : '—'} />
          <Figure
            label={t('now.cycle')}
            value={transfer.data ? `↓ ${bytes(transfer.data.rxBytes)} ↑ ${bytes(transfer.data.txBytes)}` : '—'}
            hint={
              transfer.data
                ? `${transfer.data.cycleStart} → ${transfer.data.cycleEnd} (${transfer.data.timeZone})`
                : undefined
            }
          />
        </SimpleGrid>
      </section>
      <Button.Group aria-label={t('ranges.label')} mb="xs">
        {RANGES.map((r) => (
          <Button
            key={r.id}
            size="xs"
            variant={range === r.id ? 'filled' : 'default'}
            aria-pressed={range === r.id}
            onClick={() => setRange(r.id)}
          >
            {t(`ranges.${r.id}`)}
          </Button>
        ))}
      </Button.Group>
      {error && (
        <Alert color="red" role="alert" mb="xs">
          {error.message}
        </Alert>
      )}
      {series && series.times.length === 0 && (
        <Text c="dimmed" className="empty">
          {t('noSamples')}
        </Text>
      )}
      <div className="charts">
        {charts.map((c) => (
          <Chart
            key={c.title}
            title={c.title}
            times={series?.times ?? []}
            series={c.series}
            format={c.format}
            spanMs={rangeMs(range)}
            stepMs={series?.stepMs ?? undefined}
            yRange={c.yRange}
          />
        ))}
      </div>
      <div className="node-columns">
        <Stack gap="md">
          {n && <NodeUptime client={client} nodeId={nodeId} name={n.name} />}
          <Interfaces latest={latest} />
          <Disks latest={latest} />
          {n && <TopProcesses client={client} node={n} />}
          <Paper withBorder p="sm" component="section" aria-label={t('commands')}>
            <Title order={2} size="h4" mb="xs">
              {t('commands')}
            </Title>
            <CommandList
              client={client}
              filters={{ nodeId }}
              onOpen={onOpenCommand}
              pageSize={RECENT_COMMANDS}
              showNode={false}
            />
          </Paper>
        </Stack>
        <Stack gap="md">
          {n && <Facts node={n} />}
          {n && access.mayOn('administrator', n.labels) && (
            <NodeActions client={client} node={n} onCredentials={setCredentials} onDeleted={onBack} />
          )}
        </Stack>
      </div>
    </main>
  );
}

type T = ReturnType<typeof useTranslation<'node'>>['t'];

function chartsOf(
  series: Series | null,
  t: T,
): Array<{ title: string; series: ChartSeries[]; format: (v: number) => string; yRange?: [number, number] }> {
  const s = series ?? { cpu: [], memUsed: [], rx: [], tx: [], diskRead: [], diskWrite: [] };
  return [
    {
      title: t('charts.cpu'),
      series: [{ label: t('charts.busy'), values: s.cpu, colour: 0 }],
      format: (v) => `${number(v)}%`,
      // 0–100 always: a busy node's 99.6–100 % would otherwise label two ticks "100%".
      yRange: [0, 100],
    },
    { title: t('charts.memory'), series: [{ label: t('charts.used'), values: s.memUsed, colour: 1 }], format: bytes },
    {
      title: t('charts.network'),
      series: [
        { label: t('charts.received'), values: s.rx, colour: 2 },
        { label: t('charts.sent'), values: s.tx, colour: 3 },
      ],
      format: rate,
    },
    {
      title: t('charts.disk'),
      series: [
        { label: t('charts.read'), values: s.diskRead, colour: 4 },
        { label: t('charts.write'), values: s.diskWrite, colour: 5 },
      ],
      format: rate,
    },
  ];
}

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Paper withBorder p="xs" className="figure">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700} size="sm" component="strong" display="block">
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}
