// Settings → Status page: the public, read-only page the master serves at its own path (off until
// enabled): title, language, groups of nodes (by node or by labels) and probes with the names visitors
// see, and what it shows now. Administrators only (the master refuses the rest; the section says so).
import {
  ActionIcon,
  Alert,
  Anchor,
  Button,
  Group,
  Paper,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, InputOf } from '../../../main/contract/contract';
import { useAccess } from '../access';
import { userMessage } from '../errors';
import { toastSuccess } from '../shell/toasts';
import { nodesQuery } from '../sync';

type Config = InputOf<'updateStatusPage'>;
type Item = NonNullable<Config['groups']>[number]['items'][number];
type PageGroup = NonNullable<Config['groups']>[number];
/** How an entry is chosen: one node, nodes by labels, or one probe. */
type Choice = 'node' | 'selector' | 'probe';

const choiceOf = (item: Item): Choice =>
  item.kind === 'probe' ? 'probe' : item.selector !== undefined ? 'selector' : 'node';

function itemFor(choice: Choice): Item {
  if (choice === 'selector') return { kind: 'node', selector: '' };
  return { kind: choice, id: '' };
}

export function StatusPageSettings({ client }: { client: Client }) {
  const { t } = useTranslation('settings');
  const queryClient = useQueryClient();
  // Administrators only (the master refuses the rest): the section is not offered to others.
  const allowed = useAccess().may('administrator');
  const view = useQuery({
    queryKey: ['statusPage'],
    queryFn: () => client.getStatusPage({}),
    retry: false,
    enabled: allowed,
  });
  const nodes = useQuery({ ...nodesQuery(client), enabled: allowed });
  const probes = useQuery({
    queryKey: ['probes'],
    queryFn: () => client.listProbes({}),
    retry: false,
    enabled: allowed,
  });
  const [draft, setDraft] = useState<Config | null>(null);
  useEffect(() => {
    if (view.data && draft === null) setDraft(view.data.config);
  }, [view.data, draft]);
  const save = useMutation({
    mutationFn: (config: Config) => client.updateStatusPage(config),
    onSuccess: (saved) => {
      queryClient.setQueryData(['statusPage'], saved);
      setDraft(saved.config);
      toastSuccess(t('statusPage.saved'));
    },
  });

  if (!allowed) return null;
  if (view.isError) {
    return (
      <Section>
        <Text size="sm" c="dimmed">
          {t('statusPage.unavailable', { error: userMessage(view.error) })}
        </Text>
      </Section>
    );
  }
  if (!draft) return <Section>{null}</Section>;

  const groups = draft.groups ?? [];
  const setGroups = (next: PageGroup[]) => setDraft({ ...draft, groups: next });
  const setGroup = (gi: number, group: PageGroup) => setGroups(groups.map((g, i) => (i === gi ? group : g)));
  const setItem = (gi: number, ii: number, item: Item) => {
    const group = groups[gi];
    if (group) setGroup(gi, { ...group, items: group.items.map((it, i) => (i === ii ? item : it)) });
  };
  const nodeOptions = (nodes.data ?? []).map((n) => ({ value: n.id, label: n.name }));
  const probeOptions = (probes.data ?? []).map((p) => ({ value: p.id, label: p.name }));
  const path = draft.path ?? '/status';
  const enabledNow = view.data?.config.enabled === true;

  return (
    <Section>
      <Text size="sm" c="dimmed">
        {t('statusPage.hint')}
      </Text>
      {enabledNow && (
        <Text size="sm">
          {t('statusPage.liveAt')}{' '}
          <Anchor href={view.data?.config.path} target="_blank" rel="noreferrer">
            {view.data?.config.path}
          </Anchor>
          {view.data?.listen ? ` · ${t('statusPage.alsoOn', { listen: view.data.listen })}` : ''}
        </Text>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(draft);
        }}
      >
        <Stack gap="sm">
          <Switch
            label={t('statusPage.enabled')}
            description={t('statusPage.enabledHint')}
            checked={draft.enabled ?? false}
            onChange={(e) => setDraft({ ...draft, enabled: e.currentTarget.checked })}
          />
          <Group grow align="flex-start" wrap="wrap">
            <TextInput
              label={t('statusPage.path')}
              description={t('statusPage.pathHint')}
              value={path}
              onChange={(e) => setDraft({ ...draft, path: e.currentTarget.value })}
              miw={200}
            />
            <TextInput
              label={t('statusPage.pageTitle')}
              value={draft.title ?? ''}
              onChange={(e) => setDraft({ ...draft, title: e.currentTarget.value })}
              miw={200}
            />
            <Select
              label={t('statusPage.language')}
              value={draft.language ?? 'auto'}
              allowDeselect={false}
              onChange={(v) => setDraft({ ...draft, language: (v as Config['language']) ?? 'auto' })}
              data={[
                { value: 'auto', label: t('statusPage.languageAuto') },
                { value: 'en', label: 'English' },
                { value: 'zh-CN', label: '简体中文' },
              ]}
              miw={160}
            />
          </Group>
          <Textarea
            label={t('statusPage.description')}
            value={draft.description ?? ''}
            autosize
            minRows={1}
            maxRows={4}
            onChange={(e) => setDraft({ ...draft, description: e.currentTarget.value })}
          />
          <Switch
            label={t('statusPage.showIds')}
            description={t('statusPage.showIdsHint')}
            checked={draft.showIds ?? false}
            onChange={(e) => setDraft({ ...draft, showIds: e.currentTarget.checked })}
          />
          <Title order={3} size="h5">
            {t('statusPage.groups')}
          </Title>
          {groups.length === 0 && (
            <Text size="sm" c="dimmed">
              {t('statusPage.noGroups')}
            </Text>
          )}
          {groups.map((group, gi) => (
            <Paper
              // biome-ignore lint/suspicious/noArrayIndexKey: groups have no id; their order is their identity
              key={gi}
              withBorder
              p="sm"
              role="group"
              aria-label={t('statusPage.groupName', { n: gi + 1 })}
              className="status-group"
            >
              <Group align="flex-end" wrap="nowrap">
                <TextInput
                  label={t('statusPage.groupName', { n: gi + 1 })}
                  value={group.name}
                  onChange={(e) => setGroup(gi, { ...group, name: e.currentTarget.value })}
                  style={{ flex: 1 }}
                />
                <ActionIcon
                  variant="subtle"
                  color="red"
                  size="lg"
                  aria-label={t('statusPage.removeGroup', { name: group.name || gi + 1 })}
                  onClick={() => setGroups(groups.filter((_, i) => i !== gi))}
                >
                  <IconTrash size={18} aria-hidden />
                </ActionIcon>
              </Group>
              <Stack gap="xs" mt="xs">
                {group.items.map((item, ii) => {
                  const choice = choiceOf(item);
                  const n = `${gi + 1}.${ii + 1}`;
                  return (
                    // biome-ignore lint/suspicious/noArrayIndexKey: entries have no id of their own
                    <Group key={ii} align="flex-end" wrap="wrap" gap="xs" className="status-item">
                      <Select
                        label={t('statusPage.choice', { n })}
                        value={choice}
                        allowDeselect={false}
                        onChange={(v) => v && setItem(gi, ii, itemFor(v as Choice))}
                        data={[
                          { value: 'node', label: t('statusPage.choiceNode') },
                          { value: 'selector', label: t('statusPage.choiceSelector') },
                          { value: 'probe', label: t('statusPage.choiceProbe') },
                        ]}
                        w={170}
                      />
                      {choice === 'selector' ? (
                        <TextInput
                          label={t('statusPage.selector', { n })}
                          placeholder="env=prod, role=web"
                          value={item.selector ?? ''}
                          onChange={(e) => setItem(gi, ii, { kind: 'node', selector: e.currentTarget.value })}
                          style={{ flex: '1 1 12rem' }}
                        />
                      ) : (
                        <Select
                          label={choice === 'probe' ? t('statusPage.probe', { n }) : t('statusPage.node', { n })}
                          searchable
                          value={item.id || null}
                          onChange={(v) => setItem(gi, ii, { ...item, id: v ?? '' })}
                          data={choice === 'probe' ? probeOptions : nodeOptions}
                          nothingFoundMessage={t('statusPage.nothingFound')}
                          style={{ flex: '1 1 12rem' }}
                        />
                      )}
                      {choice !== 'selector' && (
                        <TextInput
                          label={t('statusPage.displayName', { n })}
                          placeholder={t('statusPage.displayNameHint')}
                          value={item.displayName ?? ''}
                          onChange={(e) => {
                            const name = e.currentTarget.value;
                            const { displayName: _, ...rest } = item;
                            setItem(gi, ii, name ? { ...rest, displayName: name } : rest);
                          }}
                          style={{ flex: '1 1 10rem' }}
                        />
                      )}
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        size="lg"
                        aria-label={t('statusPage.removeItem', { n })}
                        onClick={() => setGroup(gi, { ...group, items: group.items.filter((_, i) => i !== ii) })}
                      >
                        <IconTrash size={18} aria-hidden />
                      </ActionIcon>
                    </Group>
                  );
                })}
                <Group>
                  <Button
                    variant="light"
                    size="xs"
                    leftSection={<IconPlus size={14} aria-hidden />}
                    onClick={() => setGroup(gi, { ...group, items: [...group.items, itemFor('node')] })}
                  >
                    {t('statusPage.addItem')}
                  </Button>
                </Group>
              </Stack>
            </Paper>
          ))}
          <Group>
            <Button
              variant="default"
              leftSection={<IconPlus size={16} aria-hidden />}
              onClick={() => setGroups([...groups, { name: t('statusPage.newGroup'), items: [] }])}
            >
              {t('statusPage.addGroup')}
            </Button>
            <Button type="submit" loading={save.isPending}>
              {t('statusPage.save')}
            </Button>
          </Group>
          {save.isError && (
            <Alert role="alert" color="red">
              {userMessage(save.error)}
            </Alert>
          )}
        </Stack>
      </form>
      <Title order={3} size="h5">
        {t('statusPage.shownNow')}
      </Title>
      {(view.data?.entries.length ?? 0) === 0 ? (
        <Text size="sm" c="dimmed">
          {t('statusPage.nothingShown')}
        </Text>
      ) : (
        <ul className="status-entries">
          {view.data?.entries.map((e) => (
            <li key={`${e.group}-${e.key}`}>
              <Text span size="sm">
                {e.group} · <strong>{e.name}</strong> (
                {e.kind === 'probe' ? t('statusPage.kindProbe') : t('statusPage.kindNode')},{' '}
                <code>{`${path}/badge/${e.key}.svg`}</code>)
              </Text>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Section({ children }: { children: ReactNode }) {
  const { t } = useTranslation('settings');
  return (
    <Stack component="section" aria-labelledby="status-page-title" gap="sm">
      <Title order={2} size="h3" id="status-page-title">
        {t('statusPage.title')}
      </Title>
      {children}
    </Stack>
  );
}
