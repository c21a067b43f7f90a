// The header's right side: the palette (with its shortcut), the colour scheme toggle, log out.
import { ActionIcon, Button, Group, Tooltip, useMantineColorScheme } from '@mantine/core';
import { IconDeviceDesktop, IconLogout, IconMoon, IconSearch, IconSun } from '@tabler/icons-react';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { Transport } from '../transport';
import { openPalette, type PaletteAction, Shortcut, usePaletteActions } from './palette';

const NEXT_SCHEME = { auto: 'light', light: 'dark', dark: 'auto' } as const;
const SCHEME_ICON = { auto: IconDeviceDesktop, light: IconSun, dark: IconMoon } as const;

export function Header({ transport, onLogOut }: { transport: Transport; onLogOut: () => void }) {
  const { t } = useTranslation();
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const SchemeIcon = SCHEME_ICON[colorScheme];
  const schemeLabel = t('shell.colourScheme', { scheme: t(`scheme.${colorScheme}`) });
  const canLogOut = transport.kind === 'http';
  usePaletteActions(
    useMemo<PaletteAction[]>(() => {
      const group = t('palette.groups.actions');
      const scheme: PaletteAction = {
        id: 'shell:scheme',
        group,
        label: t('palette.toggleScheme', { scheme: t(`scheme.${colorScheme}`) }),
        icon: <SchemeIcon size={18} stroke={1.5} />,
        run: () => setColorScheme(NEXT_SCHEME[colorScheme]),
      };
      const logOut: PaletteAction = {
        id: 'shell:log-out',
        group,
        label: t('palette.logOut'),
        icon: <IconLogout size={18} stroke={1.5} />,
        run: onLogOut,
      };
      return canLogOut ? [scheme, logOut] : [scheme];
    }, [t, colorScheme, setColorScheme, SchemeIcon, canLogOut, onLogOut]),
  );
  return (
    <Group gap="xs" wrap="nowrap">
      <Button
        variant="default"
        size="sm"
        leftSection={<IconSearch size={16} stroke={1.5} />}
        rightSection={<Shortcut keys="mod+k" />}
        onClick={openPalette}
        visibleFrom="xs"
        aria-keyshortcuts="Control+K Meta+K"
      >
        {t('shell.palette')}
      </Button>
      <ActionIcon
        variant="default"
        size="lg"
        onClick={openPalette}
        hiddenFrom="xs"
        aria-label={t('shell.palette')}
        aria-keyshortcuts="Control+K Meta+K"
      >
        <IconSearch size={18} stroke={1.5} />
      </ActionIcon>
      <Tooltip label={schemeLabel}>
        <ActionIcon
          variant="default"
          size="lg"
          aria-label={schemeLabel}
          onClick={() => setColorScheme(NEXT_SCHEME[colorScheme])}
        >
          <SchemeIcon size={18} stroke={1.5} />
        </ActionIcon>
      </Tooltip>
      {canLogOut && (
        <Tooltip label={t('shell.logOut')}>
          <ActionIcon variant="default" size="lg" aria-label={t('shell.logOut')} onClick={onLogOut}>
            <IconLogout size={18} stroke={1.5} />
          </ActionIcon>
        </Tooltip>
      )}
    </Group>
  );
}
