// The one line people read for each alert kind's firing and resolution, in the rule's words.
import type { AlertCondition } from '../../contract/alert-schemas.js';
import { formatBytes, formatDuration, isLive, liveSummary } from './conditions.js';

export interface SummaryInput {
  condition: AlertCondition;
  state: 'firing' | 'resolved';
  nodeName: string;
  subject: string | null;
  value: number | null;
  threshold: number | null;
  /** Command alerts: the status the command ended with; traffic: the days left at this pace. */
  detail?: string;
}

export function summaryOf(s: SummaryInput): string {
  const c = s.condition;
  if (isLive(c)) return liveSummary(c, s.state, s.value ?? 0, s.nodeName, s.subject);
  switch (c.kind) {
    case 'offline':
      return s.state === 'firing'
        ? `${s.nodeName} offline for more than ${formatDuration(c.graceSec)}`
        : `${s.nodeName} back online`;
    case 'agent-version':
      return s.state === 'firing'
        ? `agent on ${s.nodeName} is older than the master's (${s.detail ?? 'unknown version'})`
        : `agent on ${s.nodeName} is up to date (${s.detail ?? ''})`;
    case 'traffic': {
      const used = formatBytes(s.value ?? 0);
      const quota = formatBytes(s.threshold ?? 0);
      if (s.state === 'resolved') return `traffic on ${s.nodeName} back under ${quota} this cycle`;
      return s.detail
        ? `traffic ${used} of ${quota} this cycle on ${s.nodeName}: will exceed in ${s.detail}`
        : `traffic ${used} passed ${quota} this cycle on ${s.nodeName}`;
    }
    case 'probe-down':
      return s.state === 'firing' ? `${s.nodeName} is down: ${s.detail ?? ''}` : `${s.nodeName} is up again`;
    case 'probe-latency':
      return s.state === 'firing'
        ? `${s.nodeName} answers in ${Math.round(s.value ?? 0)} ms (above ${s.threshold} ms)`
        : `${s.nodeName} answers in ${Math.round(s.value ?? 0)} ms again`;
    case 'probe-certificate':
      return s.state === 'firing'
        ? `the certificate of ${s.nodeName} expires in ${s.value} days`
        : `the certificate of ${s.nodeName} is renewed (${s.value} days left)`;
    case 'command': {
      const what = s.subject && s.subject !== 'adhoc' ? `task ${s.subject}` : 'command';
      return s.state === 'firing'
        ? `${what} ${(s.detail ?? 'failed').replace('_', ' ')} on ${s.nodeName}${s.value !== null ? ` (exit ${s.value})` : ''}`
        : `${what} succeeded again on ${s.nodeName}`;
    }
  }
}
