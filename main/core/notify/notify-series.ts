// Prometheus series of notification delivery: attempts delivered and failed (this instance's counts
// since it started: only the leader sends, so summing over instances gives the cluster's), messages
// waiting (fleet-wide, from the database) and which channels are failing. A channel's name is only in
// fleetdeck_notification_channel_info (join on channel_id), like node names.
import type { Samples, SeriesRegistrar, SeriesSource } from '../prometheus/exporter.js';
import type { NotifyService } from './notify-service.js';

export function notifySeries(notify: NotifyService): SeriesSource {
  let figures: Awaited<ReturnType<NotifyService['figures']>> = { pending: 0, channels: [] };
  const perChannel = (counts: Map<string, number>): Samples =>
    figures.channels.map((c) => [{ channel_id: c.id }, counts.get(c.id) ?? 0]);
  return {
    name: 'notifications',
    async prepare() {
      figures = await notify.figures();
    },
    register(series: SeriesRegistrar) {
      series.gauge({
        name: 'fleetdeck_notification_channel_info',
        help: 'A notification channel (always 1): its name and kind.',
        labelNames: ['channel_id', 'name', 'kind'],
        read: () => figures.channels.map((c) => [{ channel_id: c.id, name: c.name, kind: c.kind }, 1]),
      });
      series.gauge({
        name: 'fleetdeck_notification_channel_failing',
        help: "1 while the channel's last attempts failed (3 or more in a row).",
        labelNames: ['channel_id'],
        read: () => figures.channels.map((c) => [{ channel_id: c.id }, c.failing ? 1 : 0]),
      });
      series.gauge({
        name: 'fleetdeck_notifications_pending',
        help: 'Notifications composed and not delivered yet (retrying or waiting their turn).',
        read: () => [[{}, figures.pending]],
      });
      series.counter({
        name: 'fleetdeck_notifications_delivered_total',
        help: 'Notification attempts that were delivered, by this instance since it started.',
        labelNames: ['channel_id'],
        read: () => perChannel(notify.counters.delivered),
      });
      series.counter({
        name: 'fleetdeck_notification_delivery_failures_total',
        help: 'Notification attempts that failed (each is retried), by this instance since it started.',
        labelNames: ['channel_id'],
        read: () => perChannel(notify.counters.failed),
      });
    },
  };
}
