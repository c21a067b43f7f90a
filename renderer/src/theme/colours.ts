// Colours beyond Mantine's palette, per scheme. Chart series are picked to stay ≥ 3:1 against the
// scheme's background (light: white, dark: Mantine's dark-7) and apart from each other; the dark set is
// lighter, so lines do not sink into the background.
export type Scheme = 'light' | 'dark';

export interface ChartColours {
  /** Axis labels. */
  ink: string;
  grid: string;
  ticks: string;
  /** Series in order: the first for the main value, the next ones for companions (sent after received). */
  series: readonly string[];
}

export const CHART_COLOURS: Record<Scheme, ChartColours> = {
  light: {
    ink: '#343a40',
    grid: 'rgba(73, 80, 87, 0.16)',
    ticks: 'rgba(73, 80, 87, 0.4)',
    series: ['#1c7ed6', '#7048e8', '#2f9e44', '#e8590c', '#0c8599', '#e03131'],
  },
  dark: {
    ink: '#dee2e6',
    grid: 'rgba(222, 226, 230, 0.14)',
    ticks: 'rgba(222, 226, 230, 0.35)',
    series: ['#4dabf7', '#b197fc', '#69db7c', '#ffa94d', '#3bc9db', '#ff8787'],
  },
};

export const STATUS_COLOURS: Record<Scheme, { ok: string; bad: string; warn: string; info: string; muted: string }> = {
  light: { ok: '#2b8a3e', bad: '#c92a2a', warn: '#b35c00', info: '#1864ab', muted: '#5c636a' },
  dark: { ok: '#69db7c', bad: '#ff8787', warn: '#ffc078', info: '#74c0fc', muted: '#a6adb4' },
};
