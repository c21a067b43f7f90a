// Alerts: what fires now and what resolved in the last 24 h (acknowledge, silence the rule from an
// alert), and the history of firings and resolutions with filters. Alert events refetch both (sync.ts).
import { Alert, Anchor, Button, Group, Menu, Select, Stack, Table, Text, Title } from '@mantine/core';
import { IconBellOff, IconCheck } from '@tabler/icons-react';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { useNow } from '../clock';
import { useDialogs } from '../dialogs';
import { ago, dateTime, number } from '../format';
import { navigate } from '../shell/navigation';
import { toastError, toastSuccess } from '../shell/toasts';
import { ALERT_STATE_TONE, SEVERITY_TONE, ToneBadge } from '../theme/status-badge';
import type { Transport } from '../transport';
import { useNotificationPermission } from './DesktopAlerts';

type AlertView = OutputOf<'listAlerts'>[number];
type Severity = AlertView['severity'];

const SILENCE_HOURS = [1, 4, 24] as const;
const HISTORY_PAGE = 50;
const PERIODS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;

export function AlertsTab({ client, transport }: { client: Client; transport: Transport }) {
  const { t } = useTranslation('alerts');
  const alerts = useQuery({
    queryKey: ['alerts', 'recent'],
    queryFn: () => client.listAlerts({ state: 'recent', limit: 500 }),
    refetchInterval: 30_000,
  });
  const firing = alerts.data?.filter((a) => a.state !== 'resolved') ?? [];
  const resolved = alerts.data?.filter((a) => a.state === 'resolved') ?? [];
  return (
    <Stack gap="lg">
      {transport.kind === 'http' && <DesktopPermission />}
      {alerts.error && (
        <Alert color="red" role="alert">
          {alerts.error.message}
        </Alert>
      )}
      <Stack gap="xs">
        <Title order={3} size="h4">
          {t('list.active', { count: firing.length })}
        </Title>
        {alerts.data && firing.length === 0 ? <Text c="dimmed">{t('list.none')}</Text> : null}
        {firing.length > 0 && <AlertTable client={client} alerts={firing} label={t('list.activeTable')} />}
      </Stack>
      {resolved.length > 0 && (
        <Stack gap="xs">
          <Title order={3} size="h4">
            {t('list.recent')}
          </Title>
          <AlertTable client={client} alerts={resolved} label={t('list.recentTable')} />
        </Stack>
      )}
      <History client={client} />
    </Stack>
  );
}

function DesktopPermission() {
  const { t } = useTranslation('alerts');
  const [permission, ask] = useNotificationPermission();
  if (permission === 'unsupported' || permission === 'granted') return null;
  return (
    <Group gap="sm">
      <Text size="sm">{permission === 'denied' ? t('desktop.denied') : t('desktop.offer')}</Text>
      {permission === 'default' && (
        <Button variant="light" size="compact-sm" onClick={ask}>
          {t('desktop.turnOn')}
        </Button>
      )}
    </Group>
  );
}

function AlertTable({ client, alerts, label }: { client: Client; alerts: AlertView[]; label: string }) {
  const { t } = useTranslation('alerts');
  const now = useNow();
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table aria-label={label} striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('list.severity')}</Table.Th>
            <Table.Th>{t('list.alert')}</Table.Th>
            <Table.Th>{t('list.state')}</Table.Th>
            <Table.Th>{t('list.since')}</Table.Th>
            <Table.Th>{t('list.actions')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {alerts.map((a) => (
            <Table.Tr key={a.id} data-alert={a.id}>
              <Table.Td>
                <ToneBadge tone={SEVERITY_TONE[a.severity]}>{t(`severity.${a.severity}`)}</ToneBadge>
              </Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>
                <Text size="sm" fw={500}>
                  {a.ruleName}
                  <Target name={a.nodeName} probeId={a.probeId} />
                </Text>
                <Text size="sm" c="dimmed">
                  {a.summary}
                  {a.value !== null && a.threshold !== null
                    ? ` (${t('list.valueOf', { value: number(a.value, 1), threshold: number(a.threshold, 1), unit: a.unit ?? '' })})`
                    : ''}
                </Text>
              </Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <ToneBadge tone={ALERT_STATE_TONE[a.state]}>{t(`states.${a.state}`)}</ToneBadge>
                  {a.silenced && <ToneBadge tone="muted">{t('list.silenced')}</ToneBadge>}
                  {a.acknowledgedAt !== null && <ToneBadge tone="muted">{t('list.acknowledged')}</ToneBadge>}
                </Group>
              </Table.Td>
              <Table.Td>{ago(a.since, now)}</Table.Td>
              <Table.Td>
                <AlertActions client={client} alert={a} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** " · web-1", or for a probe's alert " · shop" as a link to the probe on the Probes screen. */
function Target({ name, probeId }: { name: string | null; probeId: string | null }) {
  const { t } = useTranslation('alerts');
  if (!name) return null;
  if (probeId === null) return <>{` · ${name}`}</>;
  return (
    <>
      {' · '}
      <Anchor
        component="button"
        type="button"
        className="link"
        title={t('list.openProbe', { name })}
        onClick={() => navigate({ screen: 'probes', probe: probeId })}
      >
        {name}
      </Anchor>
    </>
  );
}

function AlertActions({ client, alert }: { client: Client; alert: AlertView }) {
  const { t } = useTranslation('alerts');
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const what = alert.nodeName ? `${alert.ruleName} · ${alert.nodeName}` : alert.ruleName;
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['alerts'] });
  const acknowledge = useMutation({
    mutationFn: () => client.acknowledgeAlert({ id: alert.id }),
    onSuccess: () => {
      refresh();
      toastSuccess(t('list.acknowledgedToast', { what }));
    },
    onError: (error) => toastError(error),
  });
  const silence = useMutation({
    mutationFn: (hours: number) =>
      client.createSilence({
        ruleId: alert.ruleId,
        endsAt: Date.now() + hours * 3_600_000,
        comment: t('list.silenceComment', { what }),
      }),
    onSuccess: (_silence, hours) => {
      refresh();
      void queryClient.invalidateQueries({ queryKey: ['silences'] });
      toastSuccess(t('list.silencedToast', { rule: alert.ruleName, count: hours }));
    },
    onError: (error) => toastError(error),
  });
  return (
    <Group gap={4} wrap="nowrap">
      {alert.state === 'firing' && alert.acknowledgedAt === null && (
        <Button
          variant="subtle"
          size="compact-sm"
          leftSection={<IconCheck size={14} />}
          loading={acknowledge.isPending}
          aria-label={t('list.acknowledgeOf', { what })}
          onClick={() => acknowledge.mutate()}
        >
          {t('list.acknowledge')}
        </Button>
      )}
      {alert.state !== 'resolved' && !alert.silenced && (
        <Menu position="bottom-end">
          <Menu.Target>
            <Button
              variant="subtle"
              size="compact-sm"
              leftSection={<IconBellOff size={14} />}
              aria-label={t('list.silenceOf', { what })}
            >
              {t('list.silence')}
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Label>
              {t(alert.probeId ? 'list.silenceRuleProbes' : 'list.silenceRule', { rule: alert.ruleName })}
            </Menu.Label>
            {SILENCE_HOURS.map((hours) => (
              <Menu.Item
                key={hours}
                onClick={async () => {
                  const sure = await dialogs.confirm({
                    title: t('list.silenceTitle', { rule: alert.ruleName, count: hours }),
                    message: t(alert.probeId ? 'list.silenceMessageProbes' : 'list.silenceMessage', {
                      rule: alert.ruleName,
                    }),
                    confirmLabel: t('list.silence'),
                  });
                  if (sure) silence.mutate(hours);
                }}
              >
                {t('list.forHours', { count: hours })}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      )}
    </Group>
  );
}

function History({ client }: { client: Client }) {
  const { t } = useTranslation('alerts');
  const [severity, setSeverity] = useState<Severity | null>(null);
  const [state, setState] = useState<'firing' | 'resolved' | null>(null);
  const [ruleId, setRuleId] = useState<string | null>(null);
  const [period, setPeriod] = useState<keyof typeof PERIODS>('7d');
  const rules = useQuery({ queryKey: ['alertRules'], queryFn: () => client.listAlertRules({}) });
  const history = useInfiniteQuery({
    queryKey: ['alertHistory', severity, state, ruleId, period],
    queryFn: ({ pageParam }) =>
      client.alertHistory({
        limit: HISTORY_PAGE,
        from: Date.now() - PERIODS[period],
        ...(severity ? { severity } : {}),
        ...(state ? { state } : {}),
        ...(ruleId ? { ruleId } : {}),
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: '',
    getNextPageParam: (page) => (page.length === HISTORY_PAGE ? page[page.length - 1]?.id : undefined),
  });
  const entries = history.data?.pages.flat() ?? [];
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">
        {t('history.title')}
      </Title>
      <Group>
        <Select
          label={t('history.period')}
          value={period}
          allowDeselect={false}
          onChange={(v) => v && setPeriod(v as keyof typeof PERIODS)}
          data={Object.keys(PERIODS).map((p) => ({
            value: p,
            label: t(`history.periods.${p as keyof typeof PERIODS}`),
          }))}
        />
        <Select
          label={t('history.rule')}
          placeholder={t('history.anyRule')}
          clearable
          value={ruleId}
          onChange={setRuleId}
          data={(rules.data ?? []).map((r) => ({ value: r.id, label: r.name }))}
        />
        <Select
          label={t('list.severity')}
          placeholder={t('history.anySeverity')}
          clearable
          value={severity}
          onChange={(v) => setSeverity(v as Severity | null)}
          data={(['critical', 'warning', 'info'] as const).map((s) => ({ value: s, label: t(`severity.${s}`) }))}
        />
        <Select
          label={t('list.state')}
          placeholder={t('history.anyState')}
          clearable
          value={state}
          onChange={(v) => setState(v as 'firing' | 'resolved' | null)}
          data={(['firing', 'resolved'] as const).map((s) => ({ value: s, label: t(`history.states.${s}`) }))}
        />
      </Group>
      {history.error && (
        <Alert color="red" role="alert">
          {history.error.message}
        </Alert>
      )}
      {history.data && entries.length === 0 && <Text c="dimmed">{t('history.empty')}</Text>}
      {entries.length > 0 && (
        <Table.ScrollContainer minWidth={560}>
          <Table aria-label={t('history.title')} striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('history.when')}</Table.Th>
                <Table.Th>{t('list.severity')}</Table.Th>
                <Table.Th>{t('list.alert')}</Table.Th>
                <Table.Th>{t('list.state')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {entries.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td>{dateTime(e.at)}</Table.Td>
                  <Table.Td>
                    <ToneBadge tone={SEVERITY_TONE[e.severity]}>{t(`severity.${e.severity}`)}</ToneBadge>
                  </Table.Td>
                  <Table.Td style={{ overflowWrap: 'anywhere' }}>
                    <Text size="sm" fw={500}>
                      {e.ruleName}
                      <Target name={e.nodeName} probeId={e.probeId} />
                    </Text>
                    <Text size="sm" c="dimmed">
                      {e.summary}
                      {e.action
                        ? ` · ${t(`history.action.${e.action.state}`)}${e.action.detail ? `: ${e.action.detail}` : ''}`
                        : ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      <ToneBadge tone={e.state === 'firing' ? 'bad' : 'ok'}>{t(`history.states.${e.state}`)}</ToneBadge>
                      {e.silenced && <ToneBadge tone="muted">{t('list.silenced')}</ToneBadge>}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {history.hasNextPage && (
        <Button variant="default" onClick={() => void history.fetchNextPage()} loading={history.isFetchingNextPage}>
          {t('history.more')}
        </Button>
      )}
    </Stack>
  );
}
