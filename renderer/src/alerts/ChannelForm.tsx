// Add or edit a notification channel: its kind's fields (secrets write-only), grouping timings and an
// optional template. The master validates again and its message is shown as it says it.
import {
  Accordion,
  Alert,
  Button,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, InputOf } from '../../../main/contract/contract';
import { toastSuccess } from '../shell/toasts';
import {
  type ChannelKind,
  type ChannelView,
  FIELDS,
  type Field,
  type FormValues,
  KINDS,
  missingFields,
  parseHeaders,
  settingsOf,
  valuesOf,
} from './channel-fields';

interface Timing {
  groupWaitSec: number;
  groupIntervalSec: number;
  repeatIntervalSec: number;
}

const DEFAULT_TIMING: Timing = { groupWaitSec: 10, groupIntervalSec: 60, repeatIntervalSec: 4 * 3600 };

export function ChannelForm({
  client,
  channel,
  onClose,
}: {
  client: Client;
  /** null: a new channel. */
  channel: ChannelView | null;
  onClose: () => void;
}) {
  const { t } = useTranslation(['alerts', 'common']);
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<ChannelKind>(channel?.kind ?? 'webhook');
  const [name, setName] = useState(channel?.name ?? '');
  const [enabled, setEnabled] = useState(channel?.enabled ?? true);
  const [values, setValues] = useState<FormValues>(() => valuesOf(channel, channel?.kind ?? 'webhook'));
  const [timing, setTiming] = useState<Timing>(channel ?? DEFAULT_TIMING);
  const [title, setTitle] = useState(channel?.template.title ?? '');
  const [line, setLine] = useState(channel?.template.line ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const secretsSet = channel?.kind === kind ? channel.secretsSet : [];

  const save = useMutation({
    mutationFn: async () => {
      const settings = settingsOf(kind, values);
      const template = {
        ...(title.trim() ? { title: title.trim() } : {}),
        ...(line.trim() ? { line: line.trim() } : {}),
      };
      if (channel) {
        return client.updateChannel({
          id: channel.id,
          name: name.trim(),
          enabled,
          ...timing,
          template,
          settings: settings as InputOf<'updateChannel'>['settings'],
        });
      }
      return client.createChannel({ name: name.trim(), enabled, ...timing, template, settings });
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: ['notifyChannels'] });
      toastSuccess(t(channel ? 'channels.saved' : 'channels.added', { name: saved.name }));
      onClose();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const missing = missingFields(kind, values, secretsSet);
    if (!name.trim()) return setProblem(t('channels.problems.name'));
    if (missing.length > 0) {
      return setProblem(
        t('channels.problems.missing', { fields: missing.map((f) => t(`channels.fields.${f}` as never)).join(', ') }),
      );
    }
    const headers = values.headers ? parseHeaders(values.headers) : null;
    if (headers?.badLine) return setProblem(t('channels.problems.header', { line: headers.badLine }));
    setProblem(null);
    save.mutate();
  };

  const error = problem ?? save.error?.message ?? null;
  return (
    <Modal
      opened
      onClose={onClose}
      title={channel ? t('channels.editTitle', { name: channel.name }) : t('channels.addTitle')}
      size="lg"
      closeButtonProps={{ 'aria-label': t('common:dialogs.close') }}
    >
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Group grow align="flex-start">
            <TextInput
              label={t('channels.name')}
              value={name}
              onChange={(e) => setName(e.currentTarget.value)}
              required
              data-autofocus
            />
            <Select
              label={t('channels.kind')}
              value={kind}
              allowDeselect={false}
              data={KINDS.map((k) => ({ value: k, label: t(`channels.kinds.${k}` as never) }))}
              onChange={(value) => {
                if (!value) return;
                setKind(value as ChannelKind);
                setValues(valuesOf(channel, value as ChannelKind));
              }}
            />
          </Group>
          {FIELDS[kind].map((field) => (
            <SettingField
              key={`${kind}.${field.name}`}
              field={field}
              value={values[field.name] ?? ''}
              saved={secretsSet.includes(field.name)}
              onChange={(value) => setValues((v) => ({ ...v, [field.name]: value }))}
            />
          ))}
          <Switch
            label={t('channels.enabled')}
            checked={enabled}
            onChange={(e) => setEnabled(e.currentTarget.checked)}
          />
          <Accordion variant="separated">
            <Accordion.Item value="grouping">
              <Accordion.Control>{t('channels.grouping.title')}</Accordion.Control>
              <Accordion.Panel>
                <Stack gap="xs">
                  <Text size="sm" c="dimmed">
                    {t('channels.grouping.hint')}
                  </Text>
                  <Group grow>
                    {(['groupWaitSec', 'groupIntervalSec', 'repeatIntervalSec'] as const).map((key) => (
                      <NumberInput
                        key={key}
                        label={t(`channels.grouping.${key}`)}
                        min={key === 'groupIntervalSec' ? 1 : 0}
                        value={timing[key]}
                        onChange={(value) => setTiming((v) => ({ ...v, [key]: Number(value) || 0 }))}
                        suffix=" s"
                      />
                    ))}
                  </Group>
                </Stack>
              </Accordion.Panel>
            </Accordion.Item>
            <Accordion.Item value="template">
              <Accordion.Control>{t('channels.template.title')}</Accordion.Control>
              <Accordion.Panel>
                <Stack gap="xs">
                  <Text size="sm" c="dimmed">
                    {t('channels.template.hint')}
                  </Text>
                  <TextInput
                    label={t('channels.template.titleField')}
                    placeholder="[{state}] {rule}: {count} ({nodes})"
                    value={title}
                    onChange={(e) => setTitle(e.currentTarget.value)}
                  />
                  <TextInput
                    label={t('channels.template.lineField')}
                    placeholder="{node} {value}{unit} (threshold {threshold}) for {duration}"
                    value={line}
                    onChange={(e) => setLine(e.currentTarget.value)}
                  />
                </Stack>
              </Accordion.Panel>
            </Accordion.Item>
          </Accordion>
          {error && (
            <Alert color="red" role="alert" title={t('channels.problems.title')}>
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common:dialogs.cancel')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {channel ? t('channels.save') : t('channels.add')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function SettingField({
  field,
  value,
  saved,
  onChange,
}: {
  field: Field;
  value: string;
  /** A secret the master has: empty keeps it. */
  saved: boolean;
  onChange: (value: string) => void;
}) {
  const { t } = useTranslation('alerts');
  const label = t(`channels.fields.${field.name}` as never);
  const description = saved ? t('channels.keepSecret') : undefined;
  const required = field.required && !saved && !field.fallback;
  const common = { label, description, required, placeholder: field.fallback };
  switch (field.type) {
    case 'secret':
      return (
        <PasswordInput {...common} value={value} onChange={(e) => onChange(e.currentTarget.value)} autoComplete="off" />
      );
    case 'headers':
      return (
        <Textarea
          {...common}
          description={saved ? t('channels.keepHeaders') : t('channels.headersHint')}
          placeholder="Authorization: Bearer …"
          autosize
          minRows={2}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    case 'pem':
      return (
        <Textarea
          {...common}
          description={t('channels.caHint')}
          placeholder="-----BEGIN CERTIFICATE-----"
          autosize
          minRows={2}
          maxRows={6}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    case 'security':
      return (
        <Select
          {...common}
          value={value || 'starttls'}
          allowDeselect={false}
          data={(['starttls', 'tls', 'none'] as const).map((s) => ({ value: s, label: t(`channels.security.${s}`) }))}
          onChange={(v) => onChange(v ?? 'starttls')}
        />
      );
    case 'list':
      return (
        <TextInput
          {...common}
          description={t('channels.listHint')}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    default:
      return (
        <TextInput
          {...common}
          type={field.type === 'number' ? 'number' : field.type === 'url' ? 'url' : 'text'}
          value={value}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
  }
}
