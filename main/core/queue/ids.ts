// Time-ordered ids: lexicographic order is creation order within an instance, which gives per-node
// FIFO ordering without a shared counter.
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

export function orderedId(prefix: string, now = Date.now()): string {
  if (now === lastMs) counter += 1;
  else {
    lastMs = now;
    counter = 0;
  }
  const time = now.toString(36).padStart(9, '0');
  const seq = counter.toString(36).padStart(4, '0');
  return `${prefix}_${time}${seq}${randomBytes(5).toString('hex')}`;
}
