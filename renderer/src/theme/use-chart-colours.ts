// Canvas charts (uPlot) cannot read CSS variables: this hook gives the current scheme's colours as
// values and changes when the scheme does (system flip or the user's choice), so a chart that lists
// it in its effect's dependencies redraws readable in both themes.
import { useComputedColorScheme } from '@mantine/core';
import { CHART_COLOURS, type ChartColours } from './colours';

export function useChartColours(): ChartColours {
  const scheme = useComputedColorScheme('light', { getInitialValueInEffect: false });
  return CHART_COLOURS[scheme];
}
