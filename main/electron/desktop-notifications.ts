// Desktop notifications in the Electron app: an alert that starts firing while the app runs shows a
// system notification (Electron's Notification, passed in so this file never imports electron and
// tests drive it with fakes); clicking it brings the window forward on the Alerts screen.
import type { AnyEvent } from '../contract/contract.js';
import { DesktopAlertGate, desktopAlertTitle } from '../contract/desktop-alerts.js';

export interface DesktopNotice {
  on(event: 'click', listener: () => void): unknown;
  show(): void;
}

export interface DesktopNotifier {
  isSupported(): boolean;
  create(options: { title: string; body: string; urgency?: 'normal' | 'critical' | 'low' }): DesktopNotice;
}

export interface EventSource {
  subscribe(listener: (event: AnyEvent) => void): () => void;
}

/** Shows a notification for each new firing; returns the unsubscribe. */
export function wireDesktopNotifications(
  bus: EventSource,
  notifier: DesktopNotifier,
  openAlerts: () => void,
  now: () => number = Date.now,
): () => void {
  const gate = new DesktopAlertGate();
  return bus.subscribe((event) => {
    if (event.event !== 'alertChanged' || !notifier.isSupported()) return;
    const alert = event.data;
    if (!gate.take(alert, now())) return;
    const notice = notifier.create({
      title: desktopAlertTitle(alert),
      body: alert.summary,
      urgency: alert.severity === 'critical' ? 'critical' : 'normal',
    });
    notice.on('click', openAlerts);
    notice.show();
  });
}
