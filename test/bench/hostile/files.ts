// Hostile bench, files: the symlink-swap race of issue 24 (item 1). Another process swaps a directory
// inside the shared root with symlinks to outside directories (a temp directory with a secret file,
// and /etc for reads) while file requests run through the agent's FileEndpoint. Sized like the attack
// run (6,000 reads, 3,000 writes) so its figures stand beside the ones it found.
import { symlinkSwapRace } from '../../helpers/symlink-swap.js';
import type { Attack, AttackRow } from './report.js';

const READS = 6_000;
const WRITES = 3_000;

export const symlinkSwapAttack: Attack = async () => {
  const { reads, writes } = await symlinkSwapRace({ reads: READS, writes: WRITES });
  const row = (attack: string, escapes: number, requests: number, before: number): AttackRow => ({
    attack,
    measure: `escapes in ${requests.toLocaleString('en-US')} requests`,
    value: escapes,
    before,
    target: '0',
    ok: escapes === 0,
  });
  return [
    row('symlink swap: reads (stat, list, preview, download)', reads.escapes, reads.requests, 703),
    row('symlink swap: writes (upload, mkdir, delete, rename)', writes.escapes, writes.requests, 308),
  ];
};
