// Probes: services checked from chosen nodes and the master, down by quorum. The list shows each
// probe's verdict and vantage points; a probe's detail shows every vantage point's last result and the
// latency of the last hour; the form creates and edits them.
import {
  Accordion,
  Anchor,
  Button,
  Fieldset,
  Group,
  Modal,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import type { FieldIssue } from '../../../main/contract/wire';
import { NodePicker } from '../commands/NodePicker';
import { useDialogs } from '../dialogs';
import { userMessage } from '../errors';
import { dateTime } from '../format';
import { Chart } from '../node/Chart';
import { updatePlace, usePlace } from '../shell/navigation';
import { type PaletteAction, usePaletteActions } from '../shell/palette';
import { ScrollTable } from '../shell/ScrollTable';
import { nodesQuery } from '../sync';
import { PROBE_STATE_TONE, ToneBadge } from '../theme/status-badge';
import { ApiError } from '../transport';
import {
  ADVANCED_FIELDS,
  type DraftField,
  draftToSpec,
  EMPTY_DRAFT,
  HEADER_VALUE_MASK,
  hasAdvanced,
  issuesByField,
  KINDS,
  medianLatency,
  type Probe,
  type ProbeDraft,
  probeToDraft,
  RECORD_TYPES,
  targetLine,
} from './probe-draft';

const HOUR_MS = 3_600_000;

function StateBadge({ state }: { state: Probe['state'] }) {
  const { t } = useTranslation('probes');
  return (
    <ToneBadge tone={PROBE_STATE_TONE[state]} status={state}>
      {t(`state.${state}`)}
    </ToneBadge>
  );
}

const ms = (value: number | null) => (value === null ? '—' : `${Math.round(value)} ms`);

export function Probes({ client }: { client: Client }) {
  const { t } = useTranslation(['probes', 'common']);
  const probes = useQuery({ queryKey: ['probes'], queryFn: () => client.listProbes({}), refetchInterval: 5_000 });
  const [editing, setEditing] = useState<Probe | 'new' | null>(null);
  // The open probe is the place's, so a link from elsewhere (an alert) opens it here.
  const openId = usePlace().probe;
  const setOpenId = (probe: string | null) => updatePlace({ probe });
  const open = probes.data?.find((p) => p.id === openId) ?? null;
  const actions = useMemo<PaletteAction[]>(
    () => [{ id: 'probes:new', group: t('title'), label: t('new'), run: () => setEditing('new') }],
    [t],
  );
  usePaletteActions(actions);

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={2}>{t('title')}</Title>
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
          {t('new')}
        </Button>
      </Group>
      {probes.error ? <Text c="red">{userMessage(probes.error)}</Text> : null}
      {probes.data && probes.data.length === 0 ? <Text c="dimmed">{t('empty')}</Text> : null}
      {probes.data && probes.data.length > 0 ? (
        <ScrollTable label={t('title')} minWidth={640}>
          <Table highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('columns.name')}</Table.Th>
                <Table.Th>{t('columns.target')}</Table.Th>
                <Table.Th>{t('columns.state')}</Table.Th>
                <Table.Th>{t('columns.vantages')}</Table.Th>
                <Table.Th>{t('columns.latency')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {probes.data.map((p) => (
                <Table.Tr key={p.id}>
                  <Table.Td>
                    <Anchor component="button" type="button" className="link" onClick={() => setOpenId(p.id)}>
                      {p.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">
                      {t(`kinds.${p.target.kind}`)} · {targetLine(p.target)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <StateBadge state={p.enabled ? p.state : 'unknown'} />
                  </Table.Td>
                  <Table.Td>{t('downOf', { down: p.downCount, total: p.vantages.length, needed: p.needed })}</Table.Td>
                  <Table.Td>{ms(medianLatency(p))}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      ) : null}
      {open ? <ProbeDetail client={client} probe={open} onEdit={() => setEditing(open)} /> : null}
      {editing ? (
        <ProbeForm
          client={client}
          probe={editing === 'new' ? null : editing}
          onDone={() => {
            setEditing(null);
          }}
        />
      ) : null}
    </Stack>
  );
}

function ProbeDetail({ client, probe, onEdit }: { client: Client; probe: Probe; onEdit: () => void }) {
  const { t } = useTranslation('probes');
  const series = useQuery({
    queryKey: ['probeSeries', probe.id],
    queryFn: () => {
      const now = Date.now();
      return client.probeSeries({ id: probe.id, resolution: 'minute', from: now - HOUR_MS, to: now + 60_000 });
    },
    refetchInterval: 30_000,
  });
  const chart = useMemo(() => {
    // One point per minute over every vantage point: the median p50 and the worst p95.
    const byBucket = new Map<number, { p50: number[]; p95: number[] }>();
    for (const point of series.data?.points ?? []) {
      const b = byBucket.get(point.bucket) ?? { p50: [], p95: [] };
      if (point.p50Ms !== null) b.p50.push(point.p50Ms);
      if (point.p95Ms !== null) b.p95.push(point.p95Ms);
      byBucket.set(point.bucket, b);
    }
    const times = [...byBucket.keys()].sort((a, b) => a - b);
    const median = (xs: number[]) =>
      xs.length === 0 ? null : ([...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number);
    return {
      times,
      p50: times.map((b) => median(byBucket.get(b)?.p50 ?? [])),
      p95: times.map((b) => {
        const xs = byBucket.get(b)?.p95 ?? [];
        return xs.length === 0 ? null : Math.max(...xs);
      }),
    };
  }, [series.data]);
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3}>{probe.name}</Title>
          <Group gap="xs">
            <StateBadge state={probe.enabled ? probe.state : 'unknown'} />
            <Button variant="light" size="xs" onClick={onEdit}>
              {t('edit')}
            </Button>
          </Group>
        </Group>
        <Text size="sm" c="dimmed">
          {probe.since ? t('since', { when: dateTime(probe.since) }) : null}{' '}
          {t('quorumLine', { needed: probe.needed, total: probe.vantages.length, forSec: probe.forSec })}
        </Text>
        <ScrollTable label={t('vantages.title')} minWidth={640}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('vantages.name')}</Table.Th>
                <Table.Th>{t('vantages.result')}</Table.Th>
                <Table.Th>{t('columns.latency')}</Table.Th>
                <Table.Th>{t('vantages.certificate')}</Table.Th>
                <Table.Th>{t('vantages.at')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {probe.vantages.map((v) => (
                <Table.Tr key={v.vantage}>
                  <Table.Td>{v.vantage === 'master' ? t('vantages.master') : v.name}</Table.Td>
                  <Table.Td>
                    {!v.fresh ? (
                      <Text size="sm" c="dimmed">
                        {t('vantages.stale')}
                      </Text>
                    ) : v.ok ? (
                      t('vantages.ok')
                    ) : (
                      <Text size="sm" c="red">
                        {v.error ?? t('vantages.failed')}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{ms(v.latencyMs)}</Table.Td>
                  <Table.Td>
                    {v.certDaysLeft === null
                      ? '—'
                      : t('vantages.days', { count: v.certDaysLeft }) +
                        (v.certValid === false ? ` · ${t('vantages.untrusted')}` : '')}
                  </Table.Td>
                  <Table.Td>{v.at ? dateTime(v.at) : '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
        <Chart
          title={t('chart')}
          times={chart.times}
          series={[
            { label: 'p50', values: chart.p50, colour: 0 },
            { label: 'p95', values: chart.p95, colour: 1 },
          ]}
          format={(v) => `${Math.round(v)} ms`}
          spanMs={HOUR_MS}
          stepMs={60_000}
        />
      </Stack>
    </Paper>
  );
}

/** Fields whose refusal the form says in its own words; the rest (switches, choices) say the master's. */
const FIELD_MESSAGE = {
  name: 'form.errors.name',
  kind: 'form.errors.kind',
  url: 'form.errors.url',
  method: 'form.errors.method',
  expectStatus: 'form.errors.expectStatus',
  keyword: 'form.errors.keyword',
  pattern: 'form.errors.pattern',
  body: 'form.errors.body',
  headers: 'form.errors.headers',
  host: 'form.errors.host',
  port: 'form.errors.port',
  dnsName: 'form.errors.dnsName',
  recordType: 'form.errors.recordType',
  server: 'form.errors.server',
  expect: 'form.errors.expect',
  intervalSec: 'form.errors.intervalSec',
  timeoutMs: 'form.errors.timeoutMs',
  quorum: 'form.errors.quorum',
  forSec: 'form.errors.forSec',
  vantage: 'form.errors.vantage',
  selector: 'form.errors.selector',
} as const satisfies Partial<Record<DraftField, string>>;

type Issues = Partial<Record<DraftField, FieldIssue>>;

function ProbeForm({ client, probe, onDone }: { client: Client; probe: Probe | null; onDone: () => void }) {
  const { t } = useTranslation(['probes', 'common']);
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const nodes = useQuery(nodesQuery(client));
  const [draft, setDraft] = useState<ProbeDraft>(() => (probe ? probeToDraft(probe) : EMPTY_DRAFT));
  // Settings a saved probe has behind "Advanced" show at once, so nothing it does is out of sight.
  const [advanced, setAdvanced] = useState<string | null>(() => (hasAdvanced(draft) ? 'advanced' : null));
  // The master's refusals by field; a field the user changes loses its message.
  const [issues, setIssues] = useState<{ fields: Issues; other: FieldIssue[] }>({ fields: {}, other: [] });
  const forget = (field: DraftField) =>
    setIssues((i) => (i.fields[field] ? { ...i, fields: { ...i.fields, [field]: undefined } } : i));
  const set = <K extends keyof ProbeDraft>(key: K, value: ProbeDraft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    forget(key === 'master' || key === 'nodeIds' ? 'vantage' : (key as DraftField));
  };
  const selected = useMemo(() => new Set(draft.nodeIds), [draft.nodeIds]);
  const toggle = useCallback((id: string) => {
    setDraft((d) => ({
      ...d,
      nodeIds: d.nodeIds.includes(id) ? d.nodeIds.filter((n) => n !== id) : [...d.nodeIds, id],
    }));
    setIssues((i) => ({ ...i, fields: { ...i.fields, vantage: undefined } }));
  }, []);
  const done = () => {
    void queryClient.invalidateQueries({ queryKey: ['probes'] });
    onDone();
  };
  const save = useMutation({
    mutationFn: () => {
      const spec = draftToSpec(draft);
      return probe ? client.updateProbe({ id: probe.id, ...spec }) : client.createProbe(spec);
    },
    onMutate: () => setIssues({ fields: {}, other: [] }),
    onSuccess: done,
    onError: (error) => {
      const found = issuesByField(error instanceof ApiError ? error.issues : []);
      setIssues(found);
      if (ADVANCED_FIELDS.some((f) => found.fields[f])) setAdvanced('advanced');
    },
  });
  const remove = useMutation({ mutationFn: () => client.deleteProbe({ id: probe?.id as string }), onSuccess: done });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  /** The message under a refused field: the form's words for it, else the master's. */
  const error = (field: DraftField): string | undefined => {
    const issue = issues.fields[field];
    if (!issue) return undefined;
    const key = (FIELD_MESSAGE as Partial<Record<DraftField, (typeof FIELD_MESSAGE)[keyof typeof FIELD_MESSAGE]>>)[
      field
    ];
    return key ? t(key) : t('form.errors.other', { message: issue.message });
  };
  const fieldCount = Object.values(issues.fields).filter(Boolean).length;
  const text = (key: DraftField & keyof ProbeDraft, label: string, placeholder?: string) => (
    <TextInput
      label={label}
      placeholder={placeholder}
      value={String(draft[key])}
      error={error(key)}
      onChange={(e) => set(key, e.currentTarget.value as never)}
    />
  );
  const number = (key: 'intervalSec' | 'timeoutMs' | 'quorum' | 'forSec' | 'port', label: string, min: number) => (
    <NumberInput label={label} min={min} value={draft[key]} error={error(key)} onChange={(v) => set(key, String(v))} />
  );
  const toggleField = (key: 'invert' | 'followRedirects' | 'ignoreTlsErrors' | 'master' | 'enabled', label: string) => (
    <Switch
      label={label}
      checked={draft[key]}
      error={key === 'master' ? undefined : error(key)}
      onChange={(e) => set(key, e.currentTarget.checked)}
    />
  );
  return (
    <Modal
      opened
      onClose={onDone}
      title={probe ? t('form.editTitle', { name: probe.name }) : t('form.newTitle')}
      size="lg"
      closeButtonProps={{ 'aria-label': t('common:dialogs.close') }}
    >
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <TextInput
            label={t('form.name')}
            required
            value={draft.name}
            error={error('name')}
            onChange={(e) => set('name', e.currentTarget.value)}
          />
          <Select
            label={t('form.kind')}
            data={KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))}
            value={draft.kind}
            allowDeselect={false}
            error={error('kind')}
            onChange={(v) => v && set('kind', v as ProbeDraft['kind'])}
          />
          {draft.kind === 'http' ? (
            <>
              {text('url', t('form.url'), 'https://example.com/health')}
              <SimpleGrid cols={{ base: 1, sm: 2 }}>
                <Select
                  label={t('form.method')}
                  data={['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS']}
                  value={draft.method}
                  allowDeselect={false}
                  error={error('method')}
                  onChange={(v) => v && set('method', v as ProbeDraft['method'])}
                />
                {text('expectStatus', t('form.expectStatus'), '200, 3xx')}
              </SimpleGrid>
              {text('keyword', t('form.keyword'))}
              <Textarea
                label={t('form.headers')}
                description={t('form.headersHint', { mask: HEADER_VALUE_MASK })}
                placeholder="Authorization: Bearer …"
                autosize
                minRows={1}
                maxRows={8}
                value={draft.headers}
                error={error('headers')}
                onChange={(e) => set('headers', e.currentTarget.value)}
              />
              <Accordion variant="separated" value={advanced} onChange={setAdvanced}>
                <Accordion.Item value="advanced">
                  <Accordion.Control>{t('form.advanced')}</Accordion.Control>
                  <Accordion.Panel>
                    <Stack gap="sm">
                      <TextInput
                        label={t('form.pattern')}
                        description={t('form.patternHint')}
                        placeholder="ok|healthy"
                        value={draft.pattern}
                        error={error('pattern')}
                        onChange={(e) => set('pattern', e.currentTarget.value)}
                      />
                      {toggleField('invert', t('form.invert'))}
                      <Textarea
                        label={t('form.body')}
                        autosize
                        minRows={2}
                        maxRows={8}
                        value={draft.body}
                        error={error('body')}
                        onChange={(e) => set('body', e.currentTarget.value)}
                      />
                      {toggleField('followRedirects', t('form.followRedirects'))}
                      {toggleField('ignoreTlsErrors', t('form.ignoreTlsErrors'))}
                    </Stack>
                  </Accordion.Panel>
                </Accordion.Item>
              </Accordion>
            </>
          ) : null}
          {draft.kind === 'tcp' || draft.kind === 'ping' ? (
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {text('host', t('form.host'), 'db.example.com')}
              {draft.kind === 'tcp' ? number('port', t('form.port'), 1) : null}
            </SimpleGrid>
          ) : null}
          {draft.kind === 'dns' ? (
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              {text('dnsName', t('form.dnsName'), 'example.com')}
              <Select
                label={t('form.recordType')}
                data={[...RECORD_TYPES]}
                value={draft.recordType}
                allowDeselect={false}
                error={error('recordType')}
                onChange={(v) => v && set('recordType', v as ProbeDraft['recordType'])}
              />
              {text('server', t('form.server'), '1.1.1.1')}
              {text('expect', t('form.expect'), '93.184.216.34')}
            </SimpleGrid>
          ) : null}
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            {number('intervalSec', t('form.intervalSec'), 10)}
            {number('timeoutMs', t('form.timeoutMs'), 100)}
            {number('quorum', t('form.quorum'), 1)}
            {number('forSec', t('form.forSec'), 0)}
          </SimpleGrid>
          <Fieldset legend={t('form.vantageTitle')} variant="unstyled">
            <Stack gap="sm">
              {toggleField('master', t('form.master'))}
              <NodePicker legend={t('form.nodes')} nodes={nodes.data ?? []} selected={selected} onToggle={toggle} />
              {text('selector', t('form.selector'), 'region=eu, probe=yes')}
              {issues.fields.vantage ? (
                <Text size="sm" c="var(--mantine-color-error)" role="alert">
                  {error('vantage')}
                </Text>
              ) : null}
            </Stack>
          </Fieldset>
          {toggleField('enabled', t('form.enabled'))}
          <FormProblems error={save.error} fieldCount={fieldCount} other={issues.other} />
          <Group justify="space-between">
            {probe ? (
              <Button
                color="red"
                variant="light"
                onClick={async () => {
                  const yes = await dialogs.confirm({
                    title: t('form.deleteTitle', { name: probe.name }),
                    message: t('form.deleteMessage'),
                    confirmLabel: t('form.delete'),
                    danger: true,
                  });
                  if (yes) remove.mutate();
                }}
              >
                {t('form.delete')}
              </Button>
            ) : (
              <span />
            )}
            <Group gap="xs">
              <Button variant="default" onClick={onDone}>
                {t('common:dialogs.cancel')}
              </Button>
              <Button type="submit" loading={save.isPending}>
                {t('form.save')}
              </Button>
            </Group>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/**
 * Above the buttons: that fields need a change (their messages are under them), the refusals that
 * point at no field, or the error of a save that was not about the input.
 */
function FormProblems({ error, fieldCount, other }: { error: Error | null; fieldCount: number; other: FieldIssue[] }) {
  const { t } = useTranslation('probes');
  if (!error) return null;
  const lines =
    fieldCount > 0 || other.length > 0
      ? [
          ...(fieldCount > 0 ? [t('form.errors.summary')] : []),
          ...other.map((i) => t('form.errors.other', { message: i.message })),
        ]
      : [userMessage(error)];
  return (
    <Stack gap={4} role="alert">
      {lines.map((line) => (
        <Text key={line} size="sm" c="var(--mantine-color-error)">
          {line}
        </Text>
      ))}
    </Stack>
  );
}
