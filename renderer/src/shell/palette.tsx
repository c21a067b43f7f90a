// The command palette (Ctrl/Cmd+K): Mantine Spotlight over a registry any screen adds to while it is
// mounted. An action with a shortcut is also bound to that shortcut, so every shortcut is listed here.
//
//   usePaletteActions(useMemo(() => [{ id: 'files:refresh', group: t('…'), label: t('…'), run: refresh }], [t]));
import { Kbd, Text } from '@mantine/core';
import { type HotkeyItem, useHotkeys } from '@mantine/hooks';
import { createSpotlight, Spotlight, useSpotlight } from '@mantine/spotlight';
import { IconSearch } from '@tabler/icons-react';
import { type ReactNode, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { useTranslation } from 'react-i18next';

export interface PaletteAction {
  /** Unique across the app: "<screen>:<what>[:<id>]". */
  id: string;
  /** Heading it is listed under (translated). */
  group: string;
  label: string;
  description?: string;
  /** Extra words it is found by (a node's id, labels, English names in a translated UI). */
  keywords?: readonly string[];
  /** Shown as keys and bound globally while registered: "alt+1", "mod+shift+r". */
  shortcut?: string;
  /** The shortcut is the screen's own (a field's Ctrl+Enter): listed here, not bound globally. */
  listedOnly?: boolean;
  icon?: ReactNode;
  run(): void;
}

const registry = new Map<symbol, readonly PaletteAction[]>();
const listeners = new Set<() => void>();
let snapshot: readonly PaletteAction[] = [];

function publish(): void {
  snapshot = [...registry.values()].flat();
  for (const listener of listeners) listener();
}

/** Lists `actions` in the palette (and binds their shortcuts) while the calling component is mounted.
 * Pass a memoized array: a new array re-registers. */
export function usePaletteActions(actions: readonly PaletteAction[]): void {
  useEffect(() => {
    const key = Symbol('palette actions');
    registry.set(key, actions);
    publish();
    return () => {
      registry.delete(key);
      publish();
    };
  }, [actions]);
}

function useRegisteredActions(): readonly PaletteAction[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => snapshot,
  );
}

// The palette's own store: the shell reads whether it is open (it filters only then).
const [paletteStore, palette] = createSpotlight();
export const openPalette = palette.open;

/** Whether the palette is open: what lists thousands of actions builds them only then. */
export function usePaletteOpened(): boolean {
  return useSpotlight(paletteStore).opened;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

/** "mod+k" → ["Ctrl", "K"] (⌘ on a Mac). */
export function shortcutKeys(shortcut: string): string[] {
  return shortcut.split('+').map((part) => {
    const key = part.trim().toLowerCase();
    if (key === 'mod') return isMac ? '⌘' : 'Ctrl';
    if (key === 'alt') return isMac ? '⌥' : 'Alt';
    if (key === 'shift') return 'Shift';
    if (key === 'ctrl') return 'Ctrl';
    if (key === 'escape') return 'Esc';
    if (key === 'arrowup') return '↑';
    return key.length === 1 ? key.toUpperCase() : key[0]?.toUpperCase() + key.slice(1);
  });
}

export function Shortcut({ keys }: { keys: string }) {
  return (
    <span className="shortcut">
      {shortcutKeys(keys).map((key) => (
        <Kbd key={key} size="xs">
          {key}
        </Kbd>
      ))}
    </span>
  );
}

// Keys are matched by their physical code (Alt+1 types "¡", Alt+Shift+U "¨" on a Mac); a letter's code
// (KeyU) already reads as "u", a digit's (Digit1) needs its name.
const physical = (shortcut: string) => shortcut.replace(/(^|\+)(\d)$/, '$1digit$2');

export function CommandPalette() {
  const { t } = useTranslation();
  const registered = useRegisteredActions();
  const [query, setQuery] = useState('');
  // Alt+digit screen shortcuts work from inside a field too (as they always have): nothing is ignored.
  useHotkeys(
    registered.flatMap((a): HotkeyItem[] =>
      a.shortcut && !a.listedOnly ? [[physical(a.shortcut), () => a.run(), { usePhysicalKeys: true }]] : [],
    ),
    [],
  );
  const own = useMemo<PaletteAction[]>(() => {
    const group = t('palette.groups.shortcuts');
    return [
      { id: 'palette:open', group, label: t('palette.openPalette'), shortcut: 'mod+k', run: () => undefined },
      { id: 'palette:escape', group, label: t('palette.closeDialog'), shortcut: 'escape', run: () => undefined },
    ];
  }, [t]);
  // Filtered only while open: a fleet of thousands registers thousands of node actions, and the list
  // refreshes with the fleet.
  const opened = usePaletteOpened();
  const groups = useMemo(
    () => (opened ? matching([...registered, ...own], query, LIMIT) : []),
    [opened, registered, own, query],
  );
  return (
    <Spotlight.Root
      store={paletteStore}
      query={query}
      onQueryChange={setQuery}
      // Each opening starts empty, also when it reopens before the closing fade ends (Spotlight itself
      // clears the query only once that fade is over).
      onSpotlightClose={() => setQuery('')}
      shortcut={['mod + K']}
      tagsToIgnore={[]}
      scrollable
      maxHeight={440}
      attributes={{ content: { 'aria-label': t('palette.title') } }}
    >
      <Spotlight.Search
        aria-label={t('palette.search')}
        placeholder={t('palette.search')}
        leftSection={<IconSearch size={18} stroke={1.5} />}
      />
      <Spotlight.ActionsList>
        {groups.length === 0 && <Spotlight.Empty>{t('palette.nothingFound')}</Spotlight.Empty>}
        {groups.map(([group, actions]) => (
          // Spotlight's own group label is CSS-only (invisible to screen readers): a real heading instead.
          <div key={group}>
            <Text component="h3" size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="sm" pb={4} m={0}>
              {group}
            </Text>
            {actions.map((action) => (
              <Spotlight.Action
                key={action.id}
                label={action.label}
                description={action.description}
                leftSection={action.icon}
                rightSection={action.shortcut ? <Shortcut keys={action.shortcut} /> : undefined}
                highlightQuery
                onClick={() => action.run()}
              />
            ))}
          </div>
        ))}
      </Spotlight.ActionsList>
    </Spotlight.Root>
  );
}

const LIMIT = 60;

/** Actions whose label, description or keywords hold every word of the query (label matches first),
 * at most `limit`, by group in registration order. */
export function matching(
  actions: readonly PaletteAction[],
  query: string,
  limit: number,
): Array<[string, PaletteAction[]]> {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const inLabel: PaletteAction[] = [];
  const elsewhere: PaletteAction[] = [];
  for (const action of actions) {
    const label = action.label.toLowerCase();
    const all = [label, action.description ?? '', ...(action.keywords ?? [])].join(' ').toLowerCase();
    if (words.every((w) => label.includes(w))) inLabel.push(action);
    else if (words.every((w) => all.includes(w))) elsewhere.push(action);
  }
  const groups = new Map<string, PaletteAction[]>();
  for (const action of [...inLabel, ...elsewhere].slice(0, limit)) {
    groups.set(action.group, [...(groups.get(action.group) ?? []), action]);
  }
  return [...groups];
}
