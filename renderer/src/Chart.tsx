// A uPlot time-series chart that follows its container's width. Null values are drawn as gaps.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

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
}: {
  title: string;
  /** Epoch milliseconds. */
  times: number[];
  series: ChartSeries[];
  format: (value: number) => string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('|');

  // biome-ignore lint/correctness/useExhaustiveDependencies: the plot is rebuilt only when its series change shape; data flows through setData below
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const options: uPlot.Options = {
      width: el.clientWidth || 400,
      height: 160,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)),
        })),
      ],
      axes: [{}, { values: (_u, ticks) => ticks.map(format), size: 96 }],
      scales: { x: { time: true } },
      legend: { live: true },
    };
    plot.current = new uPlot(options, [[], ...series.map(() => [])] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 160 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData([times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData);
  }, [times, series]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} />
    </figure>
  );
}
