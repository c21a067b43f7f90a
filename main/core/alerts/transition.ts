// The one shape that passes from alert evaluation (rules, state: main/core/alerts/) to notification
// delivery (outbox, grouping, channels: main/core/notify/). Evaluation writes transitions in the same
// transaction as the alert state change that caused them; delivery never evaluates anything.

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** An alert instance changed state: it started firing, or it resolved. */
export interface AlertTransition {
  /** Unique per transition; the root of every notification's idempotency key. */
  id: string;
  ruleId: string;
  ruleName: string;
  severity: AlertSeverity;
  /** One alert instance: the rule id and its subject (node id, and a mount or interface where the
   * condition has one), stable across restarts. */
  alertKey: string;
  nodeId: string | null;
  nodeName: string | null;
  labels: Record<string, string>;
  state: 'firing' | 'resolved';
  /** The observed value and the rule's threshold, in the condition's unit; null where none applies. */
  value: number | null;
  threshold: number | null;
  unit: string | null;
  /** How long the condition held before the alert fired (the rule's `for`), in seconds. */
  forSec: number;
  /** One line for people, in the rule's words ("CPU 97 % for 5 min on web-1"). */
  summary: string;
  /** When the transition happened, ms since the epoch. */
  at: number;
  /** The channels the rule notifies. */
  channelIds: string[];
}
