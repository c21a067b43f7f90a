// Series of the alerts' state, fleet-wide from the database (the same on every instance): how many
// alerts fire and are pending, by severity (every severity listed, 0 included), and how many of the
// firing ones are silenced, so a Prometheus rule can page on FleetDeck's own view.
import type { Db } from '../store/schema.js';
import type { Samples, SeriesRegistrar, SeriesSource } from './exporter.js';

const SEVERITIES = ['info', 'warning', 'critical'] as const;

interface Count {
  state: string;
  severity: string;
  silenced: number;
  n: number;
}

export function alertSeries(db: Db): SeriesSource {
  let counts: Count[] = [];
  const bySeverity = (state: string, silencedOnly = false): Samples =>
    SEVERITIES.map((severity) => [
      { severity },
      counts
        .filter((c) => c.state === state && c.severity === severity && (!silencedOnly || c.silenced === 1))
        .reduce((sum, c) => sum + c.n, 0),
    ]);
  return {
    name: 'alerts',
    async prepare() {
      const rows = await db
        .selectFrom('alert_states as s')
        .innerJoin('alert_rules as r', 'r.id', 's.rule_id')
        .select(['s.state', 'r.severity', 's.silenced', (eb) => eb.fn.countAll<number>().as('n')])
        .where('s.state', 'in', ['firing', 'pending'])
        .groupBy(['s.state', 'r.severity', 's.silenced'])
        .execute();
      counts = rows.map((r) => ({
        state: r.state,
        severity: r.severity,
        silenced: Number(r.silenced),
        n: Number(r.n),
      }));
    },
    register(series: SeriesRegistrar) {
      series.gauge({
        name: 'fleetdeck_alerts_firing',
        help: 'Alerts firing now, by the severity of their rule (silenced ones included).',
        labelNames: ['severity'],
        read: () => bySeverity('firing'),
      });
      series.gauge({
        name: 'fleetdeck_alerts_firing_silenced',
        help: 'Firing alerts that a silence or maintenance window keeps quiet, by severity.',
        labelNames: ['severity'],
        read: () => bySeverity('firing', true),
      });
      series.gauge({
        name: 'fleetdeck_alerts_pending',
        help: "Alerts whose condition holds but not yet for the rule's duration, by severity.",
        labelNames: ['severity'],
        read: () => bySeverity('pending'),
      });
    },
  };
}
