// Desktop notifications in the browser (headless mode): an alert that starts firing while the UI is
// open shows a system notification through the Notification API, once the user allowed it (Alerts →
// "Turn on desktop notifications"). In the desktop app the Electron shell shows them instead
// (main/electron/desktop-notifications.ts), so this stays quiet there.
import { useEffect, useState } from 'react';
import { DesktopAlertGate, desktopAlertTitle } from '../../../main/contract/desktop-alerts';
import { navigate } from '../shell/navigation';
import type { Transport } from '../transport';

export const browserNotifications = () => typeof window !== 'undefined' && 'Notification' in window;

export function DesktopAlerts({ transport }: { transport: Transport }) {
  useEffect(() => {
    if (transport.kind !== 'http' || !browserNotifications()) return;
    const gate = new DesktopAlertGate();
    return transport.events.on('alertChanged', (alert) => {
      if (Notification.permission !== 'granted' || !gate.take(alert)) return;
      const notice = new Notification(desktopAlertTitle(alert), { body: alert.summary, tag: alert.id });
      notice.onclick = () => {
        window.focus();
        navigate({ screen: 'alerts', alertsTab: 'alerts' });
        notice.close();
      };
    });
  }, [transport]);
  return null;
}

/** The browser's permission for notifications, and a way to ask for it (on a click: browsers insist). */
export function useNotificationPermission(): [NotificationPermission | 'unsupported', () => void] {
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported'>(() =>
    browserNotifications() ? Notification.permission : 'unsupported',
  );
  const ask = () => {
    if (!browserNotifications()) return;
    void Notification.requestPermission().then(setPermission);
  };
  return [permission, ask];
}
