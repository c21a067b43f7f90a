// Light, dark or the system's choice; remembered in this browser.
export type Theme = 'system' | 'light' | 'dark';
const KEY = 'fleetdeck.theme';

export function initialTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

export function nextTheme(theme: Theme): Theme {
  return theme === 'system' ? 'light' : theme === 'light' ? 'dark' : 'system';
}

export function applyTheme(theme: Theme): void {
  localStorage.setItem(KEY, theme);
  document.documentElement.style.colorScheme = theme === 'system' ? 'light dark' : theme;
}
