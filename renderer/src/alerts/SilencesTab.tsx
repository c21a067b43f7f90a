// The Alerts screen's Silences tab: silences (a rule and/or a label selector, until a time) and
// recurring maintenance windows (cron, duration, time zone), each with what it matches and whether it
// is in effect now. A silenced alert still shows in the list and history, marked; it sends nothing.
import { Badge, Button, Group, NumberInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Cron } from 'croner';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isProbeKind } from '../../../main/contract/alert-schemas';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { labelPairs, parseLabels } from '../../../main/contract/labels';
import { dateTime } from '../format';
import type { Transport } from '../transport';
import { RemovableList } from './RemovableList';

type Silence = OutputOf<'listSilences'>[number];
type Window = OutputOf<'listMaintenanceWindows'>[number];

const HOURS = [1, 2, 4, 8, 24, 72, 168];

const selectorText = (s: Record<string, string> | null) =>
  Object.entries(s ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export function SilencesTab({ client }: { client: Client; transport: Transport }) {
  return (
    <Stack gap="xl">
      <Silences client={client} />
      <MaintenanceWindows client={client} />
    </Stack>
  );
}

function useRuleNames(client: Client) {
  const rules = useQuery({ queryKey: ['alertRules'], queryFn: () => client.listAlertRules({}) });
  const names = new Map((rules.data ?? []).map((r) => [r.id, r.name]));
  // Rules about probes: a label selector never matches their alerts (probes have no labels).
  const probeRules = new Set((rules.data ?? []).filter((r) => isProbeKind(r.condition.kind)).map((r) => r.id));
  return { options: (rules.data ?? []).map((r) => ({ value: r.id, label: r.name })), names, probeRules };
}

function Matches({
  ruleId,
  selector,
  names,
}: {
  ruleId: string | null;
  selector: Record<string, string> | null;
  names: Map<string, string>;
}) {
  const { t } = useTranslation('alerts');
  const parts = [
    ruleId ? t('silences.rule', { name: names.get(ruleId) ?? ruleId }) : null,
    selector ? selectorText(selector) : null,
  ];
  const shown = parts.filter(Boolean).join(' · ');
  return <>{shown || t('silences.everything')}</>;
}

function Silences({ client }: { client: Client }) {
  const { t } = useTranslation(['alerts', 'common']);
  const queryClient = useQueryClient();
  const silences = useQuery({ queryKey: ['silences'], queryFn: () => client.listSilences({}) });
  const { names } = useRuleNames(client);
  const [adding, setAdding] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['silences'] });
  return (
    <RemovableList<Silence>
      heading={
        <Title order={3} size="h4">
          {t('silences.title')}
        </Title>
      }
      label={t('silences.title')}
      none={t('silences.none')}
      newLabel={t('silences.new')}
      onNew={() => setAdding(true)}
      items={silences}
      actionsHeader={t('silences.columns.actions')}
      columns={[
        {
          header: t('silences.columns.matches'),
          cell: (s) => (
            <>
              <Matches ruleId={s.ruleId} selector={s.selector} names={names} />{' '}
              {s.active && (
                <Badge variant="light" color="gray">
                  {t('silences.active')}
                </Badge>
              )}
            </>
          ),
        },
        { header: t('silences.columns.from'), cell: (s) => dateTime(s.startsAt) },
        { header: t('silences.columns.until'), cell: (s) => dateTime(s.endsAt) },
        { header: t('silences.columns.comment'), cell: (s) => s.comment },
      ]}
      remove={{
        label: () => t('silences.end.label'),
        confirm: () => ({ title: t('silences.end.title'), confirmLabel: t('silences.end.confirm') }),
        run: (s) => client.deleteSilence({ id: s.id }),
      }}
      refresh={refresh}
      onCloseForm={() => setAdding(false)}
      form={
        adding
          ? {
              title: t('silences.new'),
              content: (
                <SilenceForm
                  client={client}
                  onDone={() => {
                    setAdding(false);
                    void refresh();
                  }}
                />
              ),
            }
          : null
      }
    />
  );
}

/**
 * What is wrong with a silence's selector text, as a key of `alerts`: a pair without a key, or labels
 * together with a probe rule (they would match none of its alerts: a silence that silences nothing).
 */
function selectorProblemOf(text: string, probeRule: boolean) {
  const pairs = labelPairs(text);
  if (pairs.some(([key]) => !key)) return 'rules.problems.selector' as const;
  if (probeRule && pairs.length > 0) return 'silences.problems.probeSelector' as const;
  return null;
}

function SilenceForm({ client, onDone }: { client: Client; onDone: () => void }) {
  const { t } = useTranslation(['alerts', 'common']);
  const { options, probeRules } = useRuleNames(client);
  const [ruleId, setRuleId] = useState<string | null>(null);
  const [selector, setSelector] = useState('');
  const [hours, setHours] = useState('2');
  const [comment, setComment] = useState('');
  const selectorProblem = selectorProblemOf(selector, ruleId !== null && probeRules.has(ruleId));
  const badSelector = selectorProblem !== null;
  const create = useMutation({
    mutationFn: () => {
      const labels = parseLabels(selector);
      return client.createSilence({
        ruleId,
        selector: Object.keys(labels).length > 0 ? labels : null,
        comment,
        endsAt: Date.now() + Number(hours) * 3_600_000,
      });
    },
    onSuccess: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!badSelector) create.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack gap="sm">
        <Select
          label={t('silences.fields.rule')}
          placeholder={t('silences.anyRule')}
          clearable
          value={ruleId}
          onChange={setRuleId}
          data={options}
        />
        <TextInput
          label={t('silences.fields.selector')}
          description={t('silences.hints.selector')}
          placeholder="role=db"
          value={selector}
          error={selectorProblem ? t(selectorProblem) : undefined}
          onChange={(e) => setSelector(e.currentTarget.value)}
        />
        <Select
          label={t('silences.fields.for')}
          value={hours}
          allowDeselect={false}
          onChange={(v) => v && setHours(v)}
          data={HOURS.map((h) => ({ value: String(h), label: t('silences.hours', { count: h }) }))}
        />
        <TextInput
          label={t('silences.fields.comment')}
          value={comment}
          onChange={(e) => setComment(e.currentTarget.value)}
        />
        {create.error && (
          <Text c="red" size="sm" role="alert">
            {create.error.message}
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending}>
            {t('silences.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function MaintenanceWindows({ client }: { client: Client }) {
  const { t } = useTranslation(['alerts', 'common']);
  const queryClient = useQueryClient();
  const windows = useQuery({
    queryKey: ['maintenanceWindows'],
    queryFn: () => client.listMaintenanceWindows({}),
    refetchInterval: 60_000,
  });
  const { names } = useRuleNames(client);
  const [adding, setAdding] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['maintenanceWindows'] });
  return (
    <RemovableList<Window>
      heading={
        <Title order={3} size="h4">
          {t('maintenance.title')}
        </Title>
      }
      label={t('maintenance.title')}
      none={t('maintenance.none')}
      newLabel={t('maintenance.new')}
      onNew={() => setAdding(true)}
      items={windows}
      actionsHeader={t('maintenance.columns.actions')}
      columns={[
        { header: t('maintenance.columns.name'), cell: (w) => w.name },
        {
          header: t('maintenance.columns.schedule'),
          cell: (w) => (
            <>
              <code>{w.cron}</code> {t('maintenance.forMinutes', { count: Math.round(w.durationSec / 60) })} (
              {w.timezone})
            </>
          ),
        },
        {
          header: t('maintenance.columns.matches'),
          cell: (w) => <Matches ruleId={w.ruleId} selector={w.selector} names={names} />,
        },
        {
          header: t('maintenance.columns.state'),
          cell: (w) =>
            !w.enabled
              ? t('maintenance.disabled')
              : w.activeUntil
                ? t('maintenance.openUntil', { at: dateTime(w.activeUntil) })
                : t('maintenance.next', { at: dateTime(w.nextStart) }),
        },
      ]}
      remove={{
        label: (w) => t('maintenance.delete.label', { name: w.name }),
        confirm: (w) => ({
          title: t('maintenance.delete.title', { name: w.name }),
          confirmLabel: t('maintenance.delete.confirm'),
        }),
        run: (w) => client.deleteMaintenanceWindow({ id: w.id }),
      }}
      refresh={refresh}
      onCloseForm={() => setAdding(false)}
      form={
        adding
          ? {
              title: t('maintenance.new'),
              content: (
                <MaintenanceForm
                  client={client}
                  onDone={() => {
                    setAdding(false);
                    void refresh();
                  }}
                />
              ),
            }
          : null
      }
    />
  );
}

function nextStarts(cron: string, timezone: string): { runs: Date[]; error: boolean } {
  try {
    return { runs: new Cron(cron, { paused: true, timezone: timezone || 'UTC' }).nextRuns(3), error: false };
  } catch {
    return { runs: [], error: true };
  }
}

function MaintenanceForm({ client, onDone }: { client: Client; onDone: () => void }) {
  const { t } = useTranslation(['alerts', 'common']);
  const { options, probeRules } = useRuleNames(client);
  const [name, setName] = useState('');
  const [cron, setCron] = useState('0 2 * * 0');
  const [minutes, setMinutes] = useState<number | string>(120);
  const [timezone, setTimezone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [ruleId, setRuleId] = useState<string | null>(null);
  const [selector, setSelector] = useState('');
  const preview = nextStarts(cron, timezone);
  const selectorProblem = selectorProblemOf(selector, ruleId !== null && probeRules.has(ruleId));
  const create = useMutation({
    mutationFn: () => {
      const labels = parseLabels(selector);
      return client.createMaintenanceWindow({
        name,
        cron,
        durationSec: Math.round(Number(minutes) * 60),
        timezone,
        ruleId,
        selector: Object.keys(labels).length > 0 ? labels : null,
      });
    },
    onSuccess: onDone,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() && !preview.error && !selectorProblem) create.mutate();
  };
  return (
    <form onSubmit={submit}>
      <Stack gap="sm">
        <TextInput
          label={t('maintenance.fields.name')}
          required
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
        />
        <Group grow align="flex-start">
          <TextInput
            label={t('maintenance.fields.cron')}
            description={t('maintenance.hints.cron')}
            value={cron}
            error={preview.error ? t('maintenance.badCron') : undefined}
            onChange={(e) => setCron(e.currentTarget.value)}
          />
          <NumberInput label={t('maintenance.fields.minutes')} min={1} value={minutes} onChange={setMinutes} />
          <TextInput
            label={t('maintenance.fields.timezone')}
            value={timezone}
            onChange={(e) => setTimezone(e.currentTarget.value)}
          />
        </Group>
        {preview.runs.length > 0 && (
          <Text size="sm" c="dimmed">
            {t('maintenance.nextStarts', { list: preview.runs.map((d) => dateTime(d.getTime())).join(', ') })}
          </Text>
        )}
        <Select
          label={t('silences.fields.rule')}
          placeholder={t('silences.anyRule')}
          clearable
          value={ruleId}
          onChange={setRuleId}
          data={options}
        />
        <TextInput
          label={t('silences.fields.selector')}
          description={t('silences.hints.selector')}
          value={selector}
          error={selectorProblem ? t(selectorProblem) : undefined}
          onChange={(e) => setSelector(e.currentTarget.value)}
        />
        {create.error && (
          <Text c="red" size="sm" role="alert">
            {create.error.message}
          </Text>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={create.isPending}>
            {t('maintenance.create')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
