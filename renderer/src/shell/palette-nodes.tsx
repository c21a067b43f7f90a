// The palette's node actions: open a node, run a command on it, open its files, upload to it (nodes
// that take uploads now). Registered by the shell from the one node list query, so they are there on
// every screen, and built only while the palette is open: a fleet of 10,000 nodes makes 40,000
// translated actions, about 300 ms of work that would otherwise run again with every change to the list.

import { IconFolder, IconServer2, IconTerminal2, IconUpload } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { useAccess } from '../access';
import { nodesQuery } from '../sync';
import { navigate } from './navigation';
import { type PaletteAction, usePaletteActions, usePaletteOpened } from './palette';

export function NodePaletteActions({ client }: { client: Client }) {
  const { t } = useTranslation();
  const nodes = useQuery(nodesQuery(client));
  const access = useAccess();
  const opened = usePaletteOpened();
  const actions = useMemo<PaletteAction[]>(() => {
    if (!opened) return [];
    const group = t('palette.groups.nodes');
    return (nodes.data ?? []).flatMap((node) => {
      const keywords = [node.id, ...Object.entries(node.labels ?? {}).map(([k, v]) => `${k}=${v}`)];
      const operate = access.mayOn('operator', node.labels ?? {});
      const open: PaletteAction = {
        id: `node:open:${node.id}`,
        group,
        label: t('palette.openNode', { name: node.name }),
        keywords,
        icon: <IconServer2 size={18} stroke={1.5} />,
        run: () => navigate({ screen: 'nodes', node: node.id }),
      };
      if (!operate) return [open];
      return [
        open,
        {
          id: `node:run:${node.id}`,
          group,
          label: t('palette.runOn', { name: node.name }),
          keywords,
          icon: <IconTerminal2 size={18} stroke={1.5} />,
          run: () => navigate({ screen: 'run', runTargets: [node.id] }),
        },
        {
          id: `node:files:${node.id}`,
          group,
          label: t('palette.filesOf', { name: node.name }),
          keywords,
          icon: <IconFolder size={18} stroke={1.5} />,
          run: () => navigate({ screen: 'files', filesNode: node.id }),
        },
        ...(node.status === 'online' && node.capabilities?.filesWrite
          ? [
              {
                id: `node:upload:${node.id}`,
                group,
                label: t('palette.uploadTo', { name: node.name }),
                keywords,
                icon: <IconUpload size={18} stroke={1.5} />,
                run: () => navigate({ screen: 'files', filesNode: node.id, filesUpload: true }),
              },
            ]
          : []),
      ];
    });
  }, [opened, nodes.data, t, access]);
  usePaletteActions(actions);
  return null;
}
