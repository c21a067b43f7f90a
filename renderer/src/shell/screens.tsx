// The app's screens, in navigation order: icon, Alt+digit shortcut, and the lazily loaded component
// (each screen is its own chunk, so the first paint loads only the shell and the fleet view).
import {
  IconBell,
  IconCalendarTime,
  IconFolder,
  IconHistory,
  IconListSearch,
  IconPrompt,
  IconRadar,
  IconServer2,
  IconSettings,
  IconTerminal2,
} from '@tabler/icons-react';
import type { ComponentType } from 'react';
import type { Role } from '../../../main/contract/caller';
import type { Screen } from './navigation';

export interface ScreenEntry {
  id: Screen;
  icon: ComponentType<{ size?: number; stroke?: number }>;
  /** Key after Alt. */
  digit: string;
  /** The role the screen needs (hidden without it); none: any caller's. */
  need?: Role;
}

export const SCREENS: readonly ScreenEntry[] = [
  { id: 'nodes', icon: IconServer2, digit: '1' },
  { id: 'run', icon: IconTerminal2, digit: '2', need: 'operator' },
  { id: 'commands', icon: IconHistory, digit: '3' },
  { id: 'tasks', icon: IconCalendarTime, digit: '4' },
  { id: 'files', icon: IconFolder, digit: '5', need: 'operator' },
  { id: 'alerts', icon: IconBell, digit: '6' },
  { id: 'settings', icon: IconSettings, digit: '7' },
  { id: 'terminals', icon: IconPrompt, digit: '8', need: 'operator' },
  { id: 'audit', icon: IconListSearch, digit: '9', need: 'administrator' },
  { id: 'probes', icon: IconRadar, digit: '0', need: 'viewer' },
];
