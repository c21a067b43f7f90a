// The rule editor: condition by kind (only the fields that kind has), scope, severity, channels and an
// optional action, with a preview of how often the draft would have fired in the last 24 hours.
import {
  Alert,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { nodesQuery } from '../sync';
import {
  draftProblem,
  draftToSpec,
  isProbeRule,
  KINDS,
  OUTCOMES,
  PERCENT_KINDS,
  type RuleDraft,
  THRESHOLD_KINDS,
} from './rule-draft';

type Preview = OutputOf<'previewAlertRule'>;

interface Props {
  client: Client;
  initial: RuleDraft;
  saving: boolean;
  error: string | null;
  onSave: (draft: RuleDraft) => void;
  onCancel: () => void;
}

export function RuleForm({ client, initial, saving, error, onSave, onCancel }: Props) {
  const { t } = useTranslation(['alerts', 'common']);
  const [d, setDraft] = useState<RuleDraft>(initial);
  const [touched, setTouched] = useState(false);
  const set =
    <K extends keyof RuleDraft>(key: K) =>
    (value: RuleDraft[K]) =>
      setDraft((old) => ({ ...old, [key]: value }));
  const problem = draftProblem(d);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (problem === null) onSave(d);
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        <TextInput
          label={t('rules.fields.name')}
          value={d.name}
          onChange={(e) => set('name')(e.currentTarget.value)}
          required
          data-autofocus
        />
        <Group grow align="flex-start">
          <Select
            label={t('rules.fields.kind')}
            value={d.kind}
            allowDeselect={false}
            onChange={(v) => v && set('kind')(v as RuleDraft['kind'])}
            data={KINDS.map((k) => ({ value: k, label: t(`rules.kinds.${k}`) }))}
          />
          <Select
            label={t('rules.fields.severity')}
            value={d.severity}
            allowDeselect={false}
            onChange={(v) => v && set('severity')(v as RuleDraft['severity'])}
            data={(['info', 'warning', 'critical'] as const).map((s) => ({
              value: s,
              label: t(`rules.severity.${s}`),
            }))}
          />
        </Group>
        <ConditionFields d={d} set={set} client={client} />
        {d.kind !== 'command' && (
          <NumberInput
            label={t('rules.fields.resolveAfterSec')}
            description={t('rules.hints.resolveAfterSec')}
            min={0}
            max={86_400}
            value={d.resolveAfterSec}
            onChange={(v) => set('resolveAfterSec')(asNumber(v))}
          />
        )}
        {isProbeRule(d.kind) ? (
          <ProbePicker d={d} set={set} client={client} />
        ) : (
          <ScopeFields d={d} set={set} client={client} />
        )}
        <DeliveryFields d={d} set={set} client={client} />
        <Switch
          label={t('rules.fields.enabled')}
          checked={d.enabled}
          onChange={(e) => set('enabled')(e.currentTarget.checked)}
        />
        {/* A new kind starts without the last kind's answer. */}
        <PreviewPanel key={d.kind} client={client} draft={d} />
        {touched && problem && (
          <Text c="red" size="sm" role="alert">
            {t(problem as never)}
          </Text>
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            {t('common:dialogs.cancel')}
          </Button>
          <Button type="submit" loading={saving}>
            {t('rules.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

type Setter = <K extends keyof RuleDraft>(key: K) => (value: RuleDraft[K]) => void;
interface FieldProps {
  d: RuleDraft;
  set: Setter;
  client: Client;
}

const asNumber = (v: string | number) => (v === '' ? '' : Number(v));

function ConditionFields({ d, set, client }: FieldProps) {
  const { t } = useTranslation('alerts');
  const tasks = useQuery({ queryKey: ['tasks'], queryFn: () => client.listTasks({}) });
  if (d.kind === 'offline') {
    return (
      <NumberInput
        label={t('rules.fields.graceSec')}
        description={t('rules.hints.graceSec')}
        min={0}
        value={d.graceSec}
        onChange={(v) => set('graceSec')(asNumber(v))}
      />
    );
  }
  if (THRESHOLD_KINDS.has(d.kind)) {
    const unit = PERCENT_KINDS.has(d.kind) ? '%' : d.kind === 'network' ? 'B/s' : '';
    return (
      <Stack gap="xs">
        <Group grow align="flex-start">
          <Select
            label={t('rules.fields.op')}
            value={d.op}
            allowDeselect={false}
            onChange={(v) => v && set('op')(v as RuleDraft['op'])}
            data={[
              { value: 'above', label: t('rules.op.above') },
              { value: 'below', label: t('rules.op.below') },
            ]}
          />
          <NumberInput
            label={t('rules.fields.threshold', { unit })}
            value={d.threshold}
            onChange={(v) => set('threshold')(asNumber(v))}
          />
          <NumberInput
            label={t('rules.fields.recovery', { unit })}
            description={t('rules.hints.recovery')}
            value={d.recovery}
            onChange={(v) => set('recovery')(asNumber(v))}
          />
          <NumberInput
            label={t('rules.fields.forSec')}
            min={0}
            value={d.forSec}
            onChange={(v) => set('forSec')(asNumber(v))}
          />
        </Group>
        {d.kind === 'disk' && (
          <TextInput
            label={t('rules.fields.mount')}
            description={t('rules.hints.mount')}
            value={d.mount}
            onChange={(e) => set('mount')(e.currentTarget.value)}
          />
        )}
        {d.kind === 'load' && (
          <SegmentedControl
            aria-label={t('rules.fields.window')}
            value={d.window}
            onChange={(v) => set('window')(v as RuleDraft['window'])}
            data={['1m', '5m', '15m']}
          />
        )}
        {d.kind === 'network' && <DirectionField d={d} set={set} />}
      </Stack>
    );
  }
  if (d.kind === 'traffic') {
    return (
      <Stack gap="xs">
        <DirectionField d={d} set={set} />
        <SegmentedControl
          aria-label={t('rules.fields.quotaMode')}
          value={d.quotaMode}
          onChange={(v) => set('quotaMode')(v as RuleDraft['quotaMode'])}
          data={[
            { value: 'bytes', label: t('rules.quota.bytes') },
            { value: 'label', label: t('rules.quota.label') },
          ]}
        />
        <Group grow align="flex-start">
          {d.quotaMode === 'bytes' ? (
            <TextInput
              label={t('rules.fields.quota')}
              description={t('rules.hints.quota')}
              value={d.quota}
              onChange={(e) => set('quota')(e.currentTarget.value)}
            />
          ) : (
            <TextInput
              label={t('rules.fields.quotaLabel')}
              description={t('rules.hints.quotaLabel')}
              value={d.quotaLabel}
              onChange={(e) => set('quotaLabel')(e.currentTarget.value)}
            />
          )}
          <NumberInput
            label={t('rules.fields.percent')}
            min={0}
            max={100}
            value={d.percent}
            onChange={(v) => set('percent')(asNumber(v))}
          />
          <NumberInput
            label={t('rules.fields.forecastDays')}
            description={t('rules.hints.forecastDays')}
            min={1}
            max={31}
            value={d.forecastDays}
            onChange={(v) => set('forecastDays')(asNumber(v))}
          />
        </Group>
      </Stack>
    );
  }
  if (isProbeRule(d.kind)) return <ProbeConditionFields d={d} set={set} />;
  if (d.kind === 'command') {
    return (
      <Stack gap="xs">
        <Group grow align="flex-start">
          <Select
            label={t('rules.fields.source')}
            value={d.source}
            allowDeselect={false}
            onChange={(v) => v && set('source')(v as RuleDraft['source'])}
            data={(['any', 'task', 'adhoc'] as const).map((s) => ({ value: s, label: t(`rules.source.${s}`) }))}
          />
          <Select
            label={t('rules.fields.commandTask')}
            placeholder={t('rules.anyTask')}
            clearable
            value={d.commandTaskId}
            onChange={set('commandTaskId')}
            data={(tasks.data ?? []).map((task) => ({ value: task.id, label: task.name }))}
          />
        </Group>
        <Checkbox.Group label={t('rules.fields.outcomes')} value={d.outcomes} onChange={set('outcomes')}>
          <Group mt={4}>
            {OUTCOMES.map((o) => (
              <Checkbox key={o} value={o} label={t(`rules.outcomes.${o}`)} />
            ))}
          </Group>
        </Checkbox.Group>
      </Stack>
    );
  }
  return (
    <Text size="sm" c="dimmed">
      {t('rules.hints.agentVersion')}
    </Text>
  );
}

/** The probe kinds' own fields: down has none; latency a threshold in ms; certificates days ahead. */
function ProbeConditionFields({ d, set }: Pick<FieldProps, 'd' | 'set'>) {
  const { t } = useTranslation('alerts');
  if (d.kind === 'probe-certificate') {
    return (
      <NumberInput
        label={t('rules.fields.days')}
        description={t('rules.hints.days')}
        min={0}
        max={3650}
        value={d.days}
        onChange={(v) => set('days')(asNumber(v))}
      />
    );
  }
  if (d.kind === 'probe-latency') {
    return (
      <Group grow align="flex-start">
        <NumberInput
          label={t('rules.fields.latency')}
          description={t('rules.hints.latency')}
          min={0}
          max={600_000}
          value={d.threshold}
          onChange={(v) => set('threshold')(asNumber(v))}
        />
        <NumberInput
          label={t('rules.fields.latencyRecovery')}
          description={t('rules.hints.latencyRecovery')}
          min={0}
          max={600_000}
          value={d.recovery}
          onChange={(v) => set('recovery')(asNumber(v))}
        />
        <NumberInput
          label={t('rules.fields.forSec')}
          min={0}
          value={d.forSec}
          onChange={(v) => set('forSec')(asNumber(v))}
        />
      </Group>
    );
  }
  return (
    <Text size="sm" c="dimmed">
      {t('rules.hints.probeDown')}
    </Text>
  );
}

/** Which probes a probe rule watches: names from the probes list; none chosen = every probe. */
function ProbePicker({ d, set, client }: FieldProps) {
  const { t } = useTranslation('alerts');
  const probes = useQuery({ queryKey: ['probes'], queryFn: () => client.listProbes({}) });
  const known = new Set((probes.data ?? []).map((p) => p.id));
  // A chosen probe deleted since stays listed (by its id) so saving does not drop it silently.
  const gone = d.probeIds.filter((id) => probes.data && !known.has(id));
  return (
    <MultiSelect
      label={t('rules.fields.probes')}
      description={t('rules.hints.probes')}
      placeholder={d.probeIds.length === 0 ? t('rules.allProbes') : undefined}
      searchable
      value={d.probeIds}
      onChange={set('probeIds')}
      nothingFoundMessage={t('rules.noProbes')}
      data={[
        ...(probes.data ?? []).map((p) => ({ value: p.id, label: p.name })),
        ...gone.map((id) => ({ value: id, label: id })),
      ]}
    />
  );
}

function DirectionField({ d, set }: Pick<FieldProps, 'd' | 'set'>) {
  const { t } = useTranslation('alerts');
  return (
    <SegmentedControl
      aria-label={t('rules.fields.direction')}
      value={d.direction}
      onChange={(v) => set('direction')(v as RuleDraft['direction'])}
      data={(['total', 'rx', 'tx'] as const).map((v) => ({ value: v, label: t(`rules.direction.${v}`) }))}
    />
  );
}

function ScopeFields({ d, set, client }: FieldProps) {
  const { t } = useTranslation('alerts');
  const nodes = useQuery(nodesQuery(client));
  return (
    <Group grow align="flex-start">
      <MultiSelect
        label={t('rules.fields.nodes')}
        placeholder={d.nodeIds.length === 0 && !d.selector.trim() ? t('rules.allNodes') : undefined}
        searchable
        value={d.nodeIds}
        onChange={set('nodeIds')}
        data={(nodes.data ?? []).map((n) => ({ value: n.id, label: n.name }))}
      />
      <TextInput
        label={t('rules.fields.selector')}
        description={t('rules.hints.selector')}
        placeholder="role=web, env=prod"
        value={d.selector}
        onChange={(e) => set('selector')(e.currentTarget.value)}
      />
    </Group>
  );
}

function DeliveryFields({ d, set, client }: FieldProps) {
  const { t } = useTranslation('alerts');
  const channels = useQuery({ queryKey: ['notifyChannels'], queryFn: () => client.listChannels({}) });
  const tasks = useQuery({ queryKey: ['tasks'], queryFn: () => client.listTasks({}) });
  return (
    <Group grow align="flex-start">
      <MultiSelect
        label={t('rules.fields.channels')}
        placeholder={d.channelIds.length === 0 ? t('rules.noChannels') : undefined}
        value={d.channelIds}
        onChange={set('channelIds')}
        data={(channels.data ?? []).map((c) => ({ value: c.id, label: c.name }))}
      />
      <Select
        label={t('rules.fields.action')}
        description={t('rules.hints.action')}
        placeholder={t('rules.noAction')}
        clearable
        value={d.actionTaskId}
        onChange={set('actionTaskId')}
        data={(tasks.data ?? []).map((task) => ({ value: task.id, label: task.name }))}
      />
    </Group>
  );
}

function PreviewPanel({ client, draft }: { client: Client; draft: RuleDraft }) {
  const { t } = useTranslation('alerts');
  const preview = useMutation({ mutationFn: () => client.previewAlertRule(draftToSpec(draft)) });
  const ready = draftProblem(draft) === null;
  return (
    <Stack gap={4}>
      <Group>
        <Button
          variant="light"
          size="xs"
          disabled={!ready}
          loading={preview.isPending}
          onClick={() => preview.mutate()}
        >
          {t('rules.preview.button')}
        </Button>
        {preview.data && <PreviewText preview={preview.data} />}
      </Group>
      {preview.error && (
        <Text size="sm" c="red" role="alert">
          {preview.error.message}
        </Text>
      )}
    </Stack>
  );
}

function PreviewText({ preview }: { preview: Preview }) {
  const { t } = useTranslation('alerts');
  if (!preview.supported) {
    return (
      <Text size="sm" c="dimmed" aria-live="polite">
        {t('rules.preview.unsupported')}
      </Text>
    );
  }
  const top = preview.byNode
    .slice(0, 3)
    .map((n) => `${n.nodeName} (${n.fires})`)
    .join(', ');
  const figures = { count: preview.fires, hours: preview.windowHours };
  return (
    <Text size="sm" aria-live="polite">
      {preview.subjects === 'probes'
        ? t('rules.preview.resultProbes', { ...figures, probes: t('rules.probeCount', { count: preview.nodes }) })
        : t('rules.preview.result', { ...figures, nodes: t('rules.nodeCount', { count: preview.nodes }) })}
      {top && ` — ${top}`}
    </Text>
  );
}
