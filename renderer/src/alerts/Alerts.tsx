// The Alerts screen: what is firing and what happened (Alerts), the rules and silences (their tabs
// live in RulesTab.tsx and SilencesTab.tsx, mounted when present), and where notifications go
// (Channels, with the delivery log). The tab is part of the place (`#alerts/channels` links here).
import { Tabs, Title } from '@mantine/core';
import { IconAlertTriangle, IconBell, IconBellOff, IconListDetails } from '@tabler/icons-react';
import { type ComponentType, lazy, Suspense, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { type AlertsTabName, updatePlace, usePlace } from '../shell/navigation';
import { type PaletteAction, usePaletteActions } from '../shell/palette';
import type { Transport } from '../transport';
import { AlertsTab } from './AlertsTab';
import { ChannelsTab } from './ChannelsTab';

interface TabProps {
  client: Client;
  transport: Transport;
}

/** The rule and silence tabs, when their files exist (each exports a component named as the file). */
const optional = import.meta.glob<Record<string, ComponentType<TabProps>>>(['./RulesTab.tsx', './SilencesTab.tsx']);

function optionalTab(file: string, name: string): ComponentType<TabProps> | null {
  const load = optional[file];
  if (!load) return null;
  return lazy(async () => {
    const module = await load();
    const component = module[name];
    if (!component) throw new Error(`${file} does not export ${name}`);
    return { default: component };
  });
}

const RulesTab = optionalTab('./RulesTab.tsx', 'RulesTab');
const SilencesTab = optionalTab('./SilencesTab.tsx', 'SilencesTab');

export function Alerts({ client, transport }: TabProps) {
  const { t } = useTranslation(['alerts', 'common']);
  const { alertsTab } = usePlace();
  usePaletteActions(
    useMemo<PaletteAction[]>(
      () =>
        (['alerts', 'rules', 'silences', 'channels'] as const)
          .filter((tab) => (tab !== 'rules' || RulesTab) && (tab !== 'silences' || SilencesTab))
          .map((tab) => ({
            id: `alerts:tab:${tab}`,
            group: t('common:palette.groups.actions'),
            label: t('palette.tab', { tab: t(`screen.tabs.${tab}`) }),
            run: () => updatePlace({ alertsTab: tab }),
          })),
      [t],
    ),
  );
  return (
    <>
      <Title order={2} mb="sm">
        {t('screen.title')}
      </Title>
      <Tabs
        value={alertsTab}
        onChange={(tab) => tab && updatePlace({ alertsTab: tab as AlertsTabName })}
        keepMounted={false}
      >
        <Tabs.List mb="md">
          <Tabs.Tab value="alerts" leftSection={<IconAlertTriangle size={16} />}>
            {t('screen.tabs.alerts')}
          </Tabs.Tab>
          {RulesTab && (
            <Tabs.Tab value="rules" leftSection={<IconListDetails size={16} />}>
              {t('screen.tabs.rules')}
            </Tabs.Tab>
          )}
          {SilencesTab && (
            <Tabs.Tab value="silences" leftSection={<IconBellOff size={16} />}>
              {t('screen.tabs.silences')}
            </Tabs.Tab>
          )}
          <Tabs.Tab value="channels" leftSection={<IconBell size={16} />}>
            {t('screen.tabs.channels')}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="alerts">
          <AlertsTab client={client} transport={transport} />
        </Tabs.Panel>
        {RulesTab && (
          <Tabs.Panel value="rules">
            <Suspense>
              <RulesTab client={client} transport={transport} />
            </Suspense>
          </Tabs.Panel>
        )}
        {SilencesTab && (
          <Tabs.Panel value="silences">
            <Suspense>
              <SilencesTab client={client} transport={transport} />
            </Suspense>
          </Tabs.Panel>
        )}
        <Tabs.Panel value="channels">
          <ChannelsTab client={client} />
        </Tabs.Panel>
      </Tabs>
    </>
  );
}
