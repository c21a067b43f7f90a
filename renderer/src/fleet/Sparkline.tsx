// A tiny inline chart of recent values (0–100), drawn as one SVG polyline.
export function Sparkline({ values, label }: { values: readonly number[]; label: string }) {
  if (values.length < 2) return <span className="sparkline empty" title={`${label}: not enough data yet`} />;
  const width = 80;
  const height = 18;
  const step = width / (values.length - 1);
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - (Math.min(100, v) / 100) * height).toFixed(1)}`,
  );
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={label}>
      <polyline points={points.join(' ')} fill="none" stroke="currentColor" strokeWidth="1.2" />
    </svg>
  );
}
