// Terminals: a shell on a node in a tab per session (xterm.js), font size, and broadcast — what is
// typed into one tab goes to every ticked session at once, with a red indicator while it is on.
// Below, the recent sessions (open and ended) with who, when, how long and their recordings' size,
// each recording replayable in a player (RecordingPlayer: play/pause, speed, seek).
import {
  ActionIcon,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { IconMinus, IconPlus, IconPrompt, IconX } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client, OutputOf } from '../../../main/contract/contract';
import { dateTime } from '../format';
import { type PaletteAction, usePaletteActions, usePaletteOpened } from '../shell/palette';
import { toastError } from '../shell/toasts';
import { nodesQuery } from '../sync';
import type { Transport } from '../transport';
import { RecentSessions, type Session } from './RecentSessions';
import { RecordingPlayer } from './RecordingPlayer';
import { type TerminalHandle, TerminalView } from './TerminalView';

type Opened = OutputOf<'openTerminal'>;

export function Terminals({ client, transport }: { client: Client; transport: Pick<Transport, 'socketUrl'> }) {
  const { t } = useTranslation(['terminal', 'common']);
  const queryClient = useQueryClient();
  const nodes = useQuery(nodesQuery(client));
  const sessions = useQuery({
    queryKey: ['terminalSessions'],
    queryFn: () => client.listTerminalSessions({ limit: 50 }),
    refetchInterval: 5000,
  });
  const [tabs, setTabs] = useState<Opened[]>([]);
  const [active, setActive] = useState<string | null>(null);
  const [nodeId, setNodeId] = useState<string | null>(null);
  const [fontSize, setFontSize] = useState(14);
  const [broadcast, setBroadcast] = useState(false);
  const [targets, setTargets] = useState<ReadonlySet<string>>(new Set());
  const handles = useRef(new Map<string, TerminalHandle>());
  const [replaying, setReplaying] = useState<Session | null>(null);

  const capable = (nodes.data ?? []).filter((n) => n.capabilities?.terminal === true && n.status === 'online');
  const openOn = async (id: string) => {
    try {
      const opened = await client.openTerminal({ id, cols: 80, rows: 24 });
      setTabs((list) => [...list, opened]);
      setActive(opened.session.id);
      void queryClient.invalidateQueries({ queryKey: ['terminalSessions'] });
    } catch (error) {
      toastError(error, t('openFailed'));
    }
  };
  const open = () => nodeId && openOn(nodeId);
  const latestOpen = useRef(openOn);
  latestOpen.current = openOn;
  // Built while the palette is open only, as the shell's node actions (a fleet has thousands).
  const paletteOpened = usePaletteOpened();
  const capableKey = paletteOpened ? capable.map((n) => `${n.id}:${n.name}`).join(',') : '';
  usePaletteActions(
    // biome-ignore lint/correctness/useExhaustiveDependencies: the node list changes identity every refetch; its ids and names are the key
    useMemo<PaletteAction[]>(
      () =>
        paletteOpened
          ? capable.map((n) => ({
              id: `terminals:open:${n.id}`,
              group: t('common:palette.groups.actions'),
              label: t('palette.openOn', { name: n.name }),
              icon: <IconPrompt size={18} stroke={1.5} />,
              run: () => void latestOpen.current(n.id),
            }))
          : [],
      [t, capableKey, paletteOpened],
    ),
  );
  const closeTab = (id: string) => {
    void client.closeTerminal({ sessionId: id }).catch(() => undefined);
    setTabs((list) => list.filter((o) => o.session.id !== id));
    setTargets((set) => new Set([...set].filter((s) => s !== id)));
    if (active === id) setActive(null);
  };
  const typed = useCallback(
    (from: string, data: string) => {
      if (broadcast && targets.has(from) && targets.size > 1) {
        client
          .broadcastTerminalInput({ sessionIds: [...targets], data })
          .catch((e) => toastError(e, t('broadcastFailed')));
      } else handles.current.get(from)?.input(data);
    },
    [broadcast, targets, client, t],
  );
  const toggleTarget = (id: string) =>
    setTargets((set) => {
      const next = new Set(set);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <Stack gap="sm">
      <Title order={2}>{t('title')}</Title>
      <Group align="end">
        <Select
          label={t('node')}
          placeholder={capable.length ? t('chooseNode') : t('noCapableNodes')}
          data={capable.map((n) => ({ value: n.id, label: n.name }))}
          value={nodeId}
          onChange={setNodeId}
          searchable
          w={260}
        />
        <Button onClick={open} disabled={!nodeId}>
          {t('open')}
        </Button>
        <Group gap={4} ml="auto">
          <Text size="sm">{t('fontSize')}</Text>
          <ActionIcon
            variant="default"
            aria-label={t('smaller')}
            onClick={() => setFontSize((s) => Math.max(8, s - 1))}
          >
            <IconMinus size={16} />
          </ActionIcon>
          <Text size="sm" w={24} ta="center">
            {fontSize}
          </Text>
          <ActionIcon
            variant="default"
            aria-label={t('larger')}
            onClick={() => setFontSize((s) => Math.min(32, s + 1))}
          >
            <IconPlus size={16} />
          </ActionIcon>
        </Group>
        <Switch label={t('broadcast')} checked={broadcast} onChange={(e) => setBroadcast(e.currentTarget.checked)} />
        {broadcast && (
          <Badge color="red" variant="filled" role="status">
            {t('broadcasting', { count: targets.size })}
          </Badge>
        )}
      </Group>
      {tabs.length === 0 ? (
        <Text c="dimmed">{t('empty')}</Text>
      ) : (
        <Tabs value={active ?? tabs[tabs.length - 1]?.session.id ?? null} onChange={setActive} keepMounted>
          <Tabs.List>
            {tabs.map((o) => (
              <Tabs.Tab
                key={o.session.id}
                value={o.session.id}
                leftSection={
                  broadcast ? (
                    <Checkbox
                      size="xs"
                      aria-label={t('broadcastTo', { node: o.session.nodeName })}
                      checked={targets.has(o.session.id)}
                      onChange={() => toggleTarget(o.session.id)}
                      onClick={(e) => e.stopPropagation()}
                    />
                  ) : undefined
                }
                rightSection={
                  <ActionIcon
                    size="xs"
                    variant="subtle"
                    component="span"
                    aria-label={t('close', { node: o.session.nodeName })}
                    onClick={(e) => {
                      e.stopPropagation();
                      closeTab(o.session.id);
                    }}
                  >
                    <IconX size={12} />
                  </ActionIcon>
                }
              >
                {o.session.nodeName}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {tabs.map((o) => (
            <Tabs.Panel key={o.session.id} value={o.session.id} pt="xs" style={{ height: '60vh' }}>
              <TerminalView
                client={client}
                transport={transport}
                sessionId={o.session.id}
                first={o}
                fontSize={fontSize}
                onInput={(data) => typed(o.session.id, data)}
                onSession={() => void queryClient.invalidateQueries({ queryKey: ['terminalSessions'] })}
                register={(handle) => {
                  if (handle) handles.current.set(o.session.id, handle);
                  else handles.current.delete(o.session.id);
                }}
              />
            </Tabs.Panel>
          ))}
        </Tabs>
      )}
      <Title order={3}>{t('sessions')}</Title>
      <RecentSessions sessions={sessions} canOpen={capable.length > 0} onReplay={setReplaying} />
      <Modal
        closeButtonProps={{ 'aria-label': t('replay.close') }}
        opened={replaying !== null}
        onClose={() => setReplaying(null)}
        size="auto"
        title={t('replay.title', {
          node: replaying?.nodeName ?? '',
          at: replaying ? dateTime(replaying.startedAt) : '',
        })}
      >
        {replaying && <RecordingPlayer client={client} sessionId={replaying.id} />}
      </Modal>
    </Stack>
  );
}
