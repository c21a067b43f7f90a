// The Mantine theme: one look for every screen, light and dark. The colour scheme follows the system
// until the user picks one (Settings or the header's toggle); Mantine keeps the choice in localStorage.
// Colours the app needs beyond Mantine's (status, charts) are CSS variables per scheme, from one table.
import { Badge, type CSSVariablesResolver, createTheme, localStorageColorSchemeManager } from '@mantine/core';
import { CHART_COLOURS, STATUS_COLOURS } from './colours';

export const colorSchemeManager = localStorageColorSchemeManager({ key: 'fleetdeck.color-scheme' });

export const theme = createTheme({
  primaryColor: 'blue',
  // Shade 8: white text on a filled button and blue text on a light one both reach 4.5:1 (shade 6 does not).
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif',
  fontFamilyMonospace: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono", monospace',
  // Keyboard focus is always drawn (Mantine's ring in the primary colour, visible on both schemes).
  focusRing: 'auto',
  cursorType: 'pointer',
  components: {
    // Badges are written in the case their words are (Mantine capitalizes them): "Never connected" in
    // capitals is too wide for a table column and reads as shouting. Status badges: status-badge.tsx.
    Badge: Badge.extend({ defaultProps: { tt: 'none', radius: 'sm' } }),
  },
});

function schemeVariables(scheme: 'light' | 'dark'): Record<string, string> {
  const chart = CHART_COLOURS[scheme];
  const status = STATUS_COLOURS[scheme];
  return {
    // Mantine's dimmed grey is under 4.5:1 on white: descriptions and hints take the muted colour.
    '--mantine-color-dimmed': status.muted,
    '--mantine-color-placeholder': status.muted,
    // Mantine's error red (an input's message and border) is 3.3:1 on white: the status red reads.
    '--mantine-color-error': status.bad,
    '--ok': status.ok,
    '--bad': status.bad,
    '--warn': status.warn,
    '--info': status.info,
    '--muted': status.muted,
    '--fd-chart-ink': chart.ink,
    '--fd-chart-grid': chart.grid,
    ...Object.fromEntries(chart.series.map((colour, i) => [`--fd-chart-${i + 1}`, colour])),
  };
}

export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: schemeVariables('light'),
  dark: schemeVariables('dark'),
});
