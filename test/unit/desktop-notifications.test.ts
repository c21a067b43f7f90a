// The Electron shell's desktop notifications, driven with fakes: no Electron binary can run here, so
// the bus is a real EventBus and Electron's Notification a stand-in with the same shape.
import { describe, expect, it } from 'vitest';
import type { AlertView } from '../../main/contract/alert-schemas.js';
import { EventBus } from '../../main/core/events.js';
import { wireDesktopNotifications } from '../../main/electron/desktop-notifications.js';

function alert(change: Partial<AlertView> = {}): AlertView {
  return {
    id: 'alr_1',
    alertKey: 'rule|node',
    ruleId: 'rule',
    ruleName: 'Disk full',
    severity: 'critical',
    kind: 'disk',
    nodeId: 'node',
    nodeName: 'db-1',
    probeId: null,
    subject: '/',
    state: 'firing',
    since: 1_000,
    firedAt: 1_000,
    resolvedAt: null,
    value: 97,
    threshold: 90,
    unit: '%',
    summary: 'disk / 97 % on db-1',
    silenced: false,
    acknowledgedAt: null,
    ...change,
  };
}

describe('desktop notifications in the Electron shell', () => {
  const setup = () => {
    const bus = new EventBus();
    const shown: Array<{ title: string; body: string; urgency?: string; click?: () => void }> = [];
    let opened = 0;
    wireDesktopNotifications(
      bus,
      {
        isSupported: () => true,
        create: (options) => {
          const notice: (typeof shown)[number] = { ...options };
          shown.push(notice);
          return {
            on: (_event, listener) => {
              notice.click = listener;
            },
            show: () => undefined,
          };
        },
      },
      () => opened++,
      () => 5_000,
    );
    return { bus, shown, opened: () => opened };
  };

  it('shows a firing once, with the rule, node and summary, and opens the Alerts screen on click', () => {
    const { bus, shown, opened } = setup();
    bus.emit('alertChanged', alert());
    bus.emit('alertChanged', alert({ acknowledgedAt: 4_000 }));
    expect(shown).toEqual([
      expect.objectContaining({ title: 'Disk full — db-1', body: 'disk / 97 % on db-1', urgency: 'critical' }),
    ]);
    shown[0]?.click?.();
    expect(opened()).toBe(1);
    // The same alert firing again later is news again.
    bus.emit('alertChanged', alert({ firedAt: 4_500 }));
    expect(shown).toHaveLength(2);
  });

  it('stays quiet for pending, resolved, silenced and replayed old firings', () => {
    const { bus, shown } = setup();
    bus.emit('alertChanged', alert({ state: 'pending', firedAt: null }));
    bus.emit('alertChanged', alert({ state: 'resolved' }));
    bus.emit('alertChanged', alert({ id: 'alr_2', silenced: true }));
    bus.emit('alertChanged', alert({ id: 'alr_3', firedAt: 5_000 - 61_000 }));
    bus.emit('nodeChanged', { nodeId: 'node' });
    expect(shown).toEqual([]);
  });
});
