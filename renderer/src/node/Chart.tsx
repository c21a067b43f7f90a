// A uPlot time-series chart that follows its container's width. The x-axis spans exactly the chosen
// window ending now; missing samples are drawn as gaps (chart-data.ts). Axis text, grid and series
// take the current scheme's chart colours (theme/), and the chart is rebuilt when the scheme flips, so
// both themes stay readable.
import { Paper, Text } from '@mantine/core';
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { withGaps } from '../chart-data';
import { useChartColours } from '../theme/use-chart-colours';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  /** Which of the scheme's series colours (0: the main value). */
  colour: number;
}

export function Chart({
  title,
  times,
  series,
  format,
  spanMs,
  stepMs,
  yRange,
}: {
  title: string;
  /** Epoch milliseconds. */
  times: number[];
  series: ChartSeries[];
  format: (value: number) => string;
  /** The window shown: the last `spanMs` up to now. */
  spanMs: number;
  /** The spacing of the points (a rollup's bucket); default: their typical spacing. */
  stepMs?: number;
  /** A fixed value axis (CPU: 0–100 %); default: fitted to the data. */
  yRange?: [number, number];
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const colours = useChartColours();
  const shape = series.map((s) => s.label).join('|');

  // biome-ignore lint/correctness/useExhaustiveDependencies: the plot is rebuilt only when its series change shape; data flows through setData below
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const axis = {
      stroke: colours.ink,
      grid: { stroke: colours.grid },
      ticks: { stroke: colours.ticks },
    };
    const options: uPlot.Options = {
      width: el.clientWidth || 400,
      height: 160,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: colours.series[s.colour % colours.series.length],
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)),
        })),
      ],
      axes: [axis, { ...axis, values: (_u, ticks) => ticks.map(format), size: 96 }],
      scales: {
        x: { time: true, range: (u) => [u.data[0][0] ?? 0, u.data[0][u.data[0].length - 1] ?? 1] },
        ...(yRange ? { y: { range: yRange } } : {}),
      },
      legend: { live: true },
      hooks: {
        // The window actually drawn, for anyone (a test, an inspector) checking the axis tells the truth.
        setScale: [
          (u, key) => {
            if (key !== 'x') return;
            el.dataset.xFrom = String(Math.round((u.scales.x?.min ?? 0) * 1000));
            el.dataset.xTo = String(Math.round((u.scales.x?.max ?? 0) * 1000));
          },
        ],
      },
    };
    plot.current = new uPlot(options, [[], ...series.map(() => [])] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 160 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape, colours]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a scheme change rebuilds the plot empty (above), so the data is set again
  useEffect(() => {
    const to = Date.now();
    const from = to - spanMs;
    const drawn = withGaps(
      times,
      series.map((s) => s.values),
      { from, to },
      stepMs,
    );
    // The window's two ends are part of the x data (as empty points), so the axis is the window.
    const xs = [from, ...drawn.times, to].map((t) => t / 1000);
    const ys = drawn.series.map((values) => [null, ...values, null]);
    plot.current?.setData([xs, ...ys] as uPlot.AlignedData);
  }, [times, series, spanMs, stepMs, colours]);

  return (
    <Paper component="figure" withBorder p="xs" m={0} className="chart">
      <Text component="figcaption" fw={600} size="sm" mb={4}>
        {title}
      </Text>
      <div ref={host} />
    </Paper>
  );
}
