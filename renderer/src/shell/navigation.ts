// Where the user is: the screen and what it has open. One store, so the palette, shortcuts and any
// screen can move the user ("open the files of web-1") without threading callbacks through the tree.
import { useSyncExternalStore } from 'react';

export type Screen =
  | 'nodes'
  | 'run'
  | 'commands'
  | 'tasks'
  | 'files'
  | 'alerts'
  | 'settings'
  | 'terminals'
  | 'audit'
  | 'probes';
export type AlertsTabName = 'alerts' | 'rules' | 'silences' | 'channels';

export interface Place {
  screen: Screen;
  /** The node page open on the Nodes screen, if any. */
  node: string | null;
  /** The node the Files screen browses (kept while the user visits other screens). */
  filesNode: string | null;
  /** Files opens its file picker once it shows `filesNode` ("Upload files to…" in the palette). */
  filesUpload: boolean;
  /** The command open on the Commands screen, if any. */
  command: string | null;
  /** Nodes to preselect on the Run command screen (from "Run a command on…"). */
  runTargets: readonly string[];
  /** The Alerts screen's tab (kept while the user visits other screens). */
  alertsTab: AlertsTabName;
  /** The probe open on the Probes screen, if any (an alert's link opens it). */
  probe: string | null;
}

let place: Place = {
  screen: 'nodes',
  node: null,
  filesNode: null,
  filesUpload: false,
  command: null,
  runTargets: [],
  alertsTab: 'alerts',
  probe: null,
  ...placeOfHash(typeof location === 'undefined' ? '' : location.hash),
};

/** Links from notifications open the Alerts screen: `#alerts`, `#alerts/channels`. */
export function placeOfHash(hash: string): Partial<Place> {
  const match = /^#alerts(?:\/(alerts|rules|silences|channels))?$/.exec(hash);
  if (!match) return {};
  return { screen: 'alerts', alertsTab: (match[1] as AlertsTabName | undefined) ?? 'alerts' };
}
const listeners = new Set<() => void>();

function set(next: Place): void {
  place = next;
  for (const listener of listeners) listener();
}

// A link followed while the app is open (a notification's "Open in FleetDeck") moves the user too.
if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => {
    const target = placeOfHash(location.hash);
    if (target.screen) navigate({ ...target, screen: target.screen });
  });
}

/** Goes to a screen; what that screen had open closes unless `to` says otherwise. */
export function navigate(to: Partial<Place> & { screen: Screen }): void {
  set({ ...place, node: null, command: null, runTargets: [], filesUpload: false, probe: null, ...to });
}

/** Changes what the current screen shows without leaving it. */
export function updatePlace(change: Partial<Omit<Place, 'screen'>>): void {
  set({ ...place, ...change });
}

export function usePlace(): Place {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => place,
  );
}
