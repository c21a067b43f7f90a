// A uPlot time-series chart that follows its container's width. The x-axis spans exactly the chosen
// window ending now; missing samples are drawn as gaps (chart-data.ts). Axis text and grid take the
// page's current text colour, so both themes stay readable, and the chart redraws when the theme flips.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { withGaps } from './chart-data';

export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
}

export function Chart({
  title,
  times,
  series,
  format,
  spanMs,
  stepMs,
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
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('|');

  // biome-ignore lint/correctness/useExhaustiveDependencies: the plot is rebuilt only when its series change shape; data flows through setData below
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const ink = () => getComputedStyle(el).color;
    const axis = {
      stroke: ink,
      grid: { stroke: 'rgba(128, 128, 128, 0.25)' },
      ticks: { stroke: 'rgba(128, 128, 128, 0.4)' },
    };
    const options: uPlot.Options = {
      width: el.clientWidth || 400,
      height: 160,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          spanGaps: false,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)),
        })),
      ],
      axes: [axis, { ...axis, values: (_u, ticks) => ticks.map(format), size: 96 }],
      scales: { x: { time: true, range: (u) => [u.data[0][0] ?? 0, u.data[0][u.data[0].length - 1] ?? 1] } },
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
    // A theme change flips the text colour: redraw the axes with it.
    const redraw = () => plot.current?.redraw(false);
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', redraw);
    const themeWatch = new MutationObserver(redraw);
    themeWatch.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['style', 'class', 'data-theme', 'data-mantine-color-scheme'],
    });
    return () => {
      resize.disconnect();
      scheme.removeEventListener('change', redraw);
      themeWatch.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);

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
  }, [times, series, spanMs, stepMs]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} />
    </figure>
  );
}
