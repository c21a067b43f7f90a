// The Prometheus exposition served at GET /metrics, built on prom-client. Every part that has figures
// to show adds a `SeriesSource`: it registers its series once, and each series reads its values when a
// scrape collects it. A source whose values need the database reads them in `prepare`, which runs
// before collection; scrapes run one at a time, so a series never sees another scrape's reads.
// Adding series (the alerts' firing alerts, delivery failures, …) = a source file here and one
// `exporter.add(...)` where the master wires its parts.
import { Counter, Gauge, Registry } from 'prom-client';

export type Labels = Record<string, string>;
/** One value per label set; a series without labels has one entry with `{}`. */
export type Samples = Array<[Labels, number]>;

export interface SeriesSource {
  /** Names the source in a log line when its reads fail. */
  name: string;
  /** Async reads for this scrape (the database); the series read what it kept. */
  prepare?(): Promise<void>;
  register(series: SeriesRegistrar): void;
}

interface SeriesSpec {
  name: string;
  help: string;
  labelNames?: readonly string[];
  read: () => Samples;
}

/** Registers series whose values are read at collection time (nothing is kept between scrapes). */
export class SeriesRegistrar {
  constructor(readonly registry: Registry) {}

  gauge(spec: SeriesSpec): void {
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of spec.read()) this.set(labels, value);
      },
    });
  }

  /** A counter whose running total lives in its part (a count since start): `_total` by convention. */
  counter(spec: SeriesSpec): void {
    if (!spec.name.endsWith('_total')) throw new Error(`counter ${spec.name} must end in _total`);
    new Counter({
      name: spec.name,
      help: spec.help,
      labelNames: spec.labelNames ?? [],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [labels, value] of spec.read()) this.inc(labels, Math.max(0, value));
      },
    });
  }
}

export class PrometheusExporter {
  readonly registry = new Registry();
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  private readonly sources: SeriesSource[] = [];
  private readonly registrar = new SeriesRegistrar(this.registry);
  private last: Promise<unknown> = Promise.resolve();

  add(source: SeriesSource): this {
    source.register(this.registrar);
    this.sources.push(source);
    return this;
  }

  /** One exposition; a scrape that arrives while another runs waits for it. */
  scrape(): Promise<string> {
    const run = this.last.then(async () => {
      await Promise.all(this.sources.map((source) => source.prepare?.()));
      return this.registry.metrics();
    });
    this.last = run.catch(() => undefined);
    return run;
  }
}

/** Label values are strings; a field the node has not reported yet is empty. */
export const labelValue = (value: string | null | undefined): string => value ?? '';
