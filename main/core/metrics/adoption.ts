// Shared mode: while an instance reads the baseline of a node whose agent just connected to it (adopt),
// the node's samples wait here. Counted against no baseline they would be taken as a first sample, and
// the bytes the node moved while it was away would be lost (issue 24, item 5).
import type { MetricSample } from '../../../agent/protocol.js';

/**
 * Samples held per node while its baseline is read. Counters are cumulative, so dropping an older
 * sample of the same boot loses no bytes — only the rate between the two — and a long database
 * outage during the read cannot grow memory per node.
 */
export const MAX_HELD_SAMPLES = 16;

export interface HeldSample {
  sample: MetricSample;
  /** The time the sample is anchored at on the master's clock. */
  t: number;
  intervalMs: number;
}

export class Adoption {
  readonly held: HeldSample[] = [];

  hold(sample: HeldSample): void {
    this.held.push(sample);
    if (this.held.length <= MAX_HELD_SAMPLES) return;
    // The last sample of a boot is kept: what it counted up to a reboot is not in the next boot's
    // counters. Otherwise the oldest goes; the next one of its boot counts its bytes too.
    const next = (i: number) => this.held[i + 1]?.sample.bootId;
    const superseded = this.held.findIndex((h, i) => next(i) === h.sample.bootId);
    this.held.splice(Math.max(superseded, 0), 1);
  }
}
