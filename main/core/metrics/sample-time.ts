// Where a sample lands on the master's clock. The agent's wall clock may be wrong (a host without an RTC
// boots in 1970) or hostile, so only the spacing between the samples of one frame is taken from it, and
// that spacing is bounded by what the frame can cover: a frame is sent every few seconds and holds at
// most MAX_SAMPLES_PER_FRAME samples, so its samples span at most that many intervals. An agent claiming
// `t = 1` beside `t = 2^53 - 1` therefore lands its samples within the last hour, never in a year that
// Date, the billing calendar or the `YYYY-MM-DD` day column cannot hold.
import type { MetricSample } from '../../../agent/protocol.js';

export interface AnchoredFrame {
  intervalMs: number;
  samples: readonly Pick<MetricSample, 't'>[];
}

/** The master-clock time of each sample of a frame received at `receivedAt`. */
export function anchoredTimes(frame: AnchoredFrame, receivedAt: number): number[] {
  const last = frame.samples[frame.samples.length - 1]?.t ?? 0;
  const span = frame.samples.length * frame.intervalMs;
  return frame.samples.map((s) => receivedAt - Math.min(Math.max(last - s.t, 0), span));
}
