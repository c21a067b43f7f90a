// The Alerts screen's Rules tab: every rule with its condition, scope and severity; create and edit in
// the rule editor (with its preview), switch a rule on or off, delete after a confirmation.
import { ActionIcon, Badge, Button, Group, Modal, Stack, Switch, Table, Text, VisuallyHidden } from '@mantine/core';
import { IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { useDialogs } from '../dialogs';
import { toastError, toastSuccess } from '../shell/toasts';
import type { Transport } from '../transport';
import { RuleForm } from './RuleForm';
import { draftToSpec, EMPTY_DRAFT, type Rule, type RuleDraft, ruleToDraft } from './rule-draft';

const SEVERITY_COLOURS = { info: 'blue', warning: 'yellow', critical: 'red' } as const;

export function RulesTab({ client }: { client: Client; transport: Transport }) {
  const { t } = useTranslation(['alerts', 'common']);
  const queryClient = useQueryClient();
  const dialogs = useDialogs();
  const rules = useQuery({ queryKey: ['alertRules'], queryFn: () => client.listAlertRules({}) });
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['alertRules'] });
  const save = useMutation({
    mutationFn: (draft: RuleDraft) => {
      const spec = draftToSpec(draft);
      return editing && editing !== 'new'
        ? client.updateAlertRule({ id: editing.id, ...spec })
        : client.createAlertRule(spec);
    },
    onSuccess: (rule) => {
      setEditing(null);
      toastSuccess(t('rules.saved', { name: rule.name }));
      void refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (rule: Rule) => client.updateAlertRule({ id: rule.id, enabled: !rule.enabled }),
    onSettled: () => void refresh(),
    onError: (error) => toastError(error),
  });
  const remove = async (rule: Rule) => {
    const sure = await dialogs.confirm({
      title: t('rules.delete.title', { name: rule.name }),
      message: t('rules.delete.message'),
      confirmLabel: t('rules.delete.confirm'),
      danger: true,
    });
    if (!sure) return;
    try {
      await client.deleteAlertRule({ id: rule.id });
      void refresh();
    } catch (error) {
      toastError(error);
    }
  };
  const open = (target: Rule | 'new') => {
    save.reset();
    setEditing(target);
  };
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <Text c="dimmed" size="sm">
          {t('rules.intro')}
        </Text>
        <Button leftSection={<IconPlus size={16} />} onClick={() => open('new')}>
          {t('rules.new')}
        </Button>
      </Group>
      {rules.error && <Text c="red">{rules.error.message}</Text>}
      {rules.data && rules.data.length === 0 && <Text c="dimmed">{t('rules.none')}</Text>}
      {rules.data && rules.data.length > 0 && (
        <Table striped highlightOnHover aria-label={t('rules.tableLabel')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('rules.columns.name')}</Table.Th>
              <Table.Th>{t('rules.columns.condition')}</Table.Th>
              <Table.Th>{t('rules.columns.scope')}</Table.Th>
              <Table.Th>{t('rules.columns.severity')}</Table.Th>
              <Table.Th>{t('rules.columns.enabled')}</Table.Th>
              <Table.Th>
                <VisuallyHidden>{t('rules.columns.actions')}</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.data.map((rule) => (
              <Table.Tr key={rule.id}>
                <Table.Td>{rule.name}</Table.Td>
                <Table.Td>{t(`rules.kinds.${rule.condition.kind}`)}</Table.Td>
                <Table.Td>
                  <ScopeText rule={rule} />
                </Table.Td>
                <Table.Td>
                  <Badge color={SEVERITY_COLOURS[rule.severity]} variant="light">
                    {t(`rules.severity.${rule.severity}`)}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Switch
                    aria-label={t('rules.toggle', { name: rule.name })}
                    checked={rule.enabled}
                    onChange={() => toggle.mutate(rule)}
                  />
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap">
                    <ActionIcon
                      variant="subtle"
                      aria-label={t('rules.edit', { name: rule.name })}
                      onClick={() => open(rule)}
                    >
                      <IconPencil size={16} />
                    </ActionIcon>
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label={t('rules.delete.label', { name: rule.name })}
                      onClick={() => void remove(rule)}
                    >
                      <IconTrash size={16} />
                    </ActionIcon>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal
        closeButtonProps={{ 'aria-label': t('common:dialogs.close') }}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        size="xl"
        title={editing === 'new' ? t('rules.new') : t('rules.editTitle', { name: editing?.name ?? '' })}
      >
        {editing !== null && (
          <RuleForm
            client={client}
            initial={editing === 'new' ? EMPTY_DRAFT : ruleToDraft(editing)}
            saving={save.isPending}
            error={save.error?.message ?? null}
            onSave={(draft) => save.mutate(draft)}
            onCancel={() => setEditing(null)}
          />
        )}
      </Modal>
    </Stack>
  );
}

function ScopeText({ rule }: { rule: Rule }) {
  const { t } = useTranslation('alerts');
  const ids = rule.scope.nodeIds ?? [];
  const selector = Object.entries(rule.scope.selector ?? {}).map(([k, v]) => `${k}=${v}`);
  if (ids.length === 0 && selector.length === 0) return <>{t('rules.allNodes')}</>;
  const parts = [...(ids.length > 0 ? [t('rules.nodeCount', { count: ids.length })] : []), ...selector];
  return <>{parts.join(', ')}</>;
}
