// When an alert event is worth a desktop notification, decided once for the Electron shell (Electron's
// Notification, main/electron/desktop-notifications.ts) and the browser (the Notification API,
// renderer/src/alerts/DesktopAlerts.tsx): an alert that has just started firing and is not silenced,
// once per firing (an event replayed after a reconnect, or a later change to the same firing such as
// an acknowledgement, does not notify again).
import type { AlertView } from './alert-schemas.js';

/** A firing older than this when its event arrives is old news (a replay), not a notification. */
export const DESKTOP_ALERT_FRESH_MS = 60_000;
const REMEMBERED = 1_000;

export class DesktopAlertGate {
  private readonly seen = new Set<string>();

  /** True once for each firing worth a notification. */
  take(alert: AlertView, now = Date.now()): boolean {
    if (alert.state !== 'firing' || alert.silenced || alert.firedAt === null) return false;
    if (now - alert.firedAt > DESKTOP_ALERT_FRESH_MS) return false;
    const key = `${alert.id}:${alert.firedAt}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}

/** The title of a desktop notification for a firing alert (the body is its summary). */
export function desktopAlertTitle(alert: AlertView): string {
  return alert.nodeName ? `${alert.ruleName} — ${alert.nodeName}` : alert.ruleName;
}
