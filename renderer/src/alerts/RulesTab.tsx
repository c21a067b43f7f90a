// The Alerts screen's Rules tab: every rule with its condition, scope and severity; create and edit in
// the rule editor (with its preview), switch a rule on or off, delete after a confirmation.
import { ActionIcon, Switch, Text } from '@mantine/core';
import { IconPencil } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { toastError, toastSuccess } from '../shell/toasts';
import { SEVERITY_TONE, ToneBadge } from '../theme/status-badge';
import type { Transport } from '../transport';
import { RemovableList } from './RemovableList';
import { RuleForm } from './RuleForm';
import { draftToSpec, EMPTY_DRAFT, type Rule, type RuleDraft, ruleToDraft } from './rule-draft';

export function RulesTab({ client }: { client: Client; transport: Transport }) {
  const { t } = useTranslation(['alerts', 'common']);
  const queryClient = useQueryClient();
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
  const open = (target: Rule | 'new') => {
    save.reset();
    setEditing(target);
  };
  return (
    <RemovableList
      heading={
        <Text c="dimmed" size="sm">
          {t('rules.intro')}
        </Text>
      }
      label={t('rules.tableLabel')}
      none={t('rules.none')}
      newLabel={t('rules.new')}
      onNew={() => open('new')}
      items={rules}
      actionsHeader={t('rules.columns.actions')}
      columns={[
        { header: t('rules.columns.name'), cell: (rule) => rule.name },
        { header: t('rules.columns.condition'), cell: (rule) => t(`rules.kinds.${rule.condition.kind}`) },
        { header: t('rules.columns.scope'), cell: (rule) => <ScopeText rule={rule} /> },
        {
          header: t('rules.columns.severity'),
          cell: (rule) => (
            <ToneBadge tone={SEVERITY_TONE[rule.severity]}>{t(`rules.severity.${rule.severity}`)}</ToneBadge>
          ),
        },
        {
          header: t('rules.columns.enabled'),
          cell: (rule) => (
            <Switch
              aria-label={t('rules.toggle', { name: rule.name })}
              checked={rule.enabled}
              onChange={() => toggle.mutate(rule)}
            />
          ),
        },
      ]}
      actions={(rule) => (
        <ActionIcon variant="subtle" aria-label={t('rules.edit', { name: rule.name })} onClick={() => open(rule)}>
          <IconPencil size={16} />
        </ActionIcon>
      )}
      remove={{
        label: (rule) => t('rules.delete.label', { name: rule.name }),
        confirm: (rule) => ({
          title: t('rules.delete.title', { name: rule.name }),
          message: t('rules.delete.message'),
          confirmLabel: t('rules.delete.confirm'),
        }),
        run: (rule) => client.deleteAlertRule({ id: rule.id }),
      }}
      refresh={refresh}
      onCloseForm={() => setEditing(null)}
      form={
        editing === null
          ? null
          : {
              size: 'xl',
              title: editing === 'new' ? t('rules.new') : t('rules.editTitle', { name: editing.name }),
              content: (
                <RuleForm
                  client={client}
                  initial={editing === 'new' ? EMPTY_DRAFT : ruleToDraft(editing)}
                  saving={save.isPending}
                  error={save.error?.message ?? null}
                  onSave={(draft) => save.mutate(draft)}
                  onCancel={() => setEditing(null)}
                />
              ),
            }
      }
    />
  );
}

function ScopeText({ rule }: { rule: Rule }) {
  const { t } = useTranslation('alerts');
  if ('probeIds' in rule.condition) {
    const probes = rule.condition.probeIds ?? [];
    return <>{probes.length === 0 ? t('rules.allProbes') : t('rules.probeCount', { count: probes.length })}</>;
  }
  const ids = rule.scope.nodeIds ?? [];
  const selector = Object.entries(rule.scope.selector ?? {}).map(([k, v]) => `${k}=${v}`);
  if (ids.length === 0 && selector.length === 0) return <>{t('rules.allNodes')}</>;
  const parts = [...(ids.length > 0 ? [t('rules.nodeCount', { count: ids.length })] : []), ...selector];
  return <>{parts.join(', ')}</>;
}
