// The app: login until there is a transport, then the shell (header, navigation, palette) around the
// current screen. Screens load lazily, one chunk each.
import { Alert, AppShell, Burger, Center, Group, Loader, NavLink, ScrollArea, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../main/contract/contract';
import { AccessProvider, useAccess } from '../access';
import { DesktopAlerts } from '../alerts/DesktopAlerts';
import { ConnectionBanner } from '../connection';
import { SignIn } from '../SignIn';
import { type AuthState, authState, initialTransport, logOut } from '../session';
import { useEventSync } from '../sync';
import { clientOf, httpTransport, type Transport } from '../transport';
import { Header } from './Header';
import { navigate, type Screen, updatePlace, usePlace } from './navigation';
import { CommandPalette, type PaletteAction, Shortcut, usePaletteActions } from './palette';
import { NodePaletteActions } from './palette-nodes';
import { ScreenBoundary } from './ScreenBoundary';
import { SCREENS } from './screens';

// The fleet view is the first screen: its chunk is fetched as soon as the shell runs, not after it renders.
const fleetChunk = import('../fleet/FleetOverview');
const FleetOverview = lazy(() => fleetChunk.then((m) => ({ default: m.FleetOverview })));
const NodePage = lazy(() => import('../node/NodePage').then((m) => ({ default: m.NodePage })));
const RunCommand = lazy(() => import('../commands/RunCommand').then((m) => ({ default: m.RunCommand })));
const Commands = lazy(() => import('../commands/Commands').then((m) => ({ default: m.Commands })));
const Tasks = lazy(() => import('../tasks/Tasks').then((m) => ({ default: m.Tasks })));
const Files = lazy(() => import('../files/Files').then((m) => ({ default: m.Files })));
const Alerts = lazy(() => import('../alerts/Alerts').then((m) => ({ default: m.Alerts })));
const Terminals = lazy(() => import('../terminal/Terminals').then((m) => ({ default: m.Terminals })));
const Audit = lazy(() => import('../audit/Audit').then((m) => ({ default: m.Audit })));
const Probes = lazy(() => import('../probes/Probes').then((m) => ({ default: m.Probes })));
const Settings = lazy(() => import('../settings/Settings').then((m) => ({ default: m.Settings })));

export function App() {
  const { t } = useTranslation();
  const [transport, setTransport] = useState<Transport | null>(initialTransport);
  // What the sign-in page needs (first run, single sign-on); `undefined` while asked, null if the
  // master does not answer it (then the admin-token form).
  const [auth, setAuth] = useState<AuthState | null | undefined>(undefined);
  useEffect(() => {
    if (transport) return;
    let live = true;
    setAuth(undefined);
    authState()
      .then((state) => {
        if (!live) return;
        setAuth(state);
        // A browser that is still signed in (its session cookie) goes straight in.
        if (state.signedIn) setTransport(httpTransport(null));
      })
      .catch(() => live && setAuth(null));
    return () => {
      live = false;
    };
  }, [transport]);
  const endSession = useCallback(() => {
    // Signed out first, so the sign-in page's question (signed in?) gets the new answer.
    void logOut(transport).finally(() => {
      transport?.close();
      setTransport(null);
    });
  }, [transport]);
  if (!transport) {
    if (auth === undefined) {
      return (
        <Center component="main" mih="100vh">
          <Loader aria-label={t('loading')} />
        </Center>
      );
    }
    return <SignIn state={auth} onSignedIn={setTransport} />;
  }
  return <Shell transport={transport} onLogOut={endSession} />;
}

function Shell({ transport, onLogOut }: { transport: Transport; onLogOut: () => void }) {
  const client = useMemo(() => clientOf(transport), [transport]);
  return (
    <AccessProvider client={client}>
      <ShellFrame client={client} transport={transport} onLogOut={onLogOut} />
    </AccessProvider>
  );
}

function ShellFrame({ client, transport, onLogOut }: { client: Client; transport: Transport; onLogOut: () => void }) {
  const { t } = useTranslation();
  const [navOpen, nav] = useDisclosure(false);
  const place = usePlace();
  const access = useAccess();
  // Screens the caller's roles allow (a viewer has no Run, Files or Terminals).
  const screens = useMemo(() => SCREENS.filter((s) => !s.need || access.may(s.need)), [access]);
  const go = useCallback(
    (screen: Screen) => {
      navigate({ screen });
      nav.close();
    },
    [nav],
  );
  usePaletteActions(
    useMemo<PaletteAction[]>(
      () =>
        screens.map(({ id, icon: Icon, digit }) => ({
          id: `screen:${id}`,
          group: t('palette.groups.screens'),
          label: t('palette.goToScreen', { screen: t(`nav.${id}`) }),
          keywords: [id],
          shortcut: `alt+${digit}`,
          icon: <Icon size={18} stroke={1.5} />,
          run: () => navigate({ screen: id }),
        })),
      [t, screens],
    ),
  );

  return (
    <AppShell
      // No animated padding: a window crossing the breakpoint lays its screen out at once (an animated
      // main padding overflowed the narrow width until it finished, a second on a busy machine).
      transitionDuration={0}
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !navOpen } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" gap="sm" wrap="nowrap" justify="space-between">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={navOpen}
              onClick={nav.toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={navOpen ? t('shell.closeNavigation') : t('shell.openNavigation')}
            />
            <Title order={1} size="h4">
              {t('appName')}
            </Title>
          </Group>
          <Header transport={transport} onLogOut={onLogOut} />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label={t('nav.label')}>
        <AppShell.Section grow component={ScrollArea}>
          {screens.map(({ id, icon: Icon, digit }) => (
            <NavLink
              key={id}
              component="button"
              type="button"
              label={t(`nav.${id}`)}
              leftSection={<Icon size={18} stroke={1.5} />}
              rightSection={
                <Text component="span" visibleFrom="sm" aria-hidden>
                  <Shortcut keys={`alt+${digit}`} />
                </Text>
              }
              active={place.screen === id}
              variant="filled"
              aria-current={place.screen === id ? 'page' : undefined}
              aria-keyshortcuts={`Alt+${digit}`}
              onClick={() => go(id)}
            />
          ))}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <LiveConnection transport={transport} onUnauthorized={onLogOut} />
        <NodePaletteActions client={client} />
        <DesktopAlerts transport={transport} />
        <ScreenBoundary key={place.screen}>
          <Suspense
            fallback={
              <Center py="xl">
                <Loader aria-label={t('loading')} />
              </Center>
            }
          >
            <CurrentScreen client={client} transport={transport} />
          </Suspense>
        </ScreenBoundary>
      </AppShell.Main>
      <CommandPalette />
    </AppShell>
  );
}

const showCommand = (id: string) => navigate({ screen: 'commands', command: id });
const setFilesNode = (id: string) => updatePlace({ filesNode: id });

function CurrentScreen({ client, transport }: { client: Client; transport: Transport }) {
  const { t } = useTranslation();
  const place = usePlace();
  const access = useAccess();
  const need = SCREENS.find((s) => s.id === place.screen)?.need;
  if (need && !access.may(need)) {
    return (
      <Alert color="gray" title={t('access.screenTitle')}>
        {t('access.screenMessage', { role: t(`access.roles.${need}`) })}
      </Alert>
    );
  }
  switch (place.screen) {
    case 'nodes':
      return place.node ? (
        <NodePage
          client={client}
          transport={transport}
          nodeId={place.node}
          onBack={() => updatePlace({ node: null })}
          onBrowse={(id) => navigate({ screen: 'files', filesNode: id })}
          onOpenCommand={showCommand}
        />
      ) : (
        <FleetOverview client={client} transport={transport} onOpen={(id) => updatePlace({ node: id })} />
      );
    case 'run':
      return (
        <RunCommand
          key={place.runTargets.join(',')}
          client={client}
          transport={transport}
          onOpenCommand={showCommand}
          preselected={place.runTargets}
        />
      );
    case 'commands':
      return (
        <Commands
          client={client}
          openId={place.command}
          onOpen={(id) => updatePlace({ command: id })}
          onClose={() => updatePlace({ command: null })}
        />
      );
    case 'tasks':
      return <Tasks client={client} />;
    case 'files':
      return <Files client={client} transport={transport} nodeId={place.filesNode} onNodeChange={setFilesNode} />;
    case 'alerts':
      return <Alerts client={client} transport={transport} />;
    case 'settings':
      return <Settings client={client} />;
    case 'terminals':
      return <Terminals client={client} transport={transport} />;
    case 'audit':
      return <Audit client={client} transport={transport} />;
    case 'probes':
      return <Probes client={client} />;
  }
}

/** The one event stream: keeps the cache true, shows the banner while it is down, logs out on 401. */
function LiveConnection({ transport, onUnauthorized }: { transport: Transport; onUnauthorized: () => void }) {
  useEventSync(transport);
  useEffect(
    () =>
      transport.events.onConnection((connection) => {
        if (connection.state === 'unauthorized') onUnauthorized();
      }),
    [transport, onUnauthorized],
  );
  return <ConnectionBanner transport={transport} />;
}
