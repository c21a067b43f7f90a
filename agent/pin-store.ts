// The certificate pins the agent accepts. Configured pins (--ca-fingerprint, FLEETDECK_CA_FINGERPRINT,
// `caFingerprint:`, one or a list) are where it starts; pins the master handed over its pinned channel
// during a certificate rotation, or that an endorsement chain proved (endorsement.ts), are kept in
// `<state-dir>/pins.json` and win at start only while the configured pins are the ones they replaced —
// as with a rotated token, an admin who configures different pins wins over what was stored.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_PINS, PinList } from './protocol.js';
import { writeAtomically } from './token-store.js';

export const PINS_FILE = 'pins.json';
const MAX_STORED_BYTES = 4096;

interface StoredPins {
  pins: string[];
  /** SHA-256 (hex) of the configured pins these replace (sorted, comma-joined). */
  replaces: string;
}

const fingerprintOfList = (pins: readonly string[]) =>
  createHash('sha256')
    .update([...pins].sort().join(','), 'utf8')
    .digest('hex');

/** The pins to accept now: stored ones while the configuration is unchanged, else the configured. */
export function effectivePins(
  configured: readonly string[],
  stateDir: string,
): { pins: string[]; from: 'configured' | 'state-dir' } {
  const stored = readStored(stateDir);
  if (stored && stored.replaces === fingerprintOfList(configured)) return { pins: stored.pins, from: 'state-dir' };
  return { pins: [...configured], from: 'configured' };
}

/** Stores the pins to accept from now on (atomic: temp file, fsync, rename). */
export function persistPins(pins: readonly string[], configured: readonly string[], stateDir: string): void {
  const parsed = PinList.safeParse([...new Set(pins)].slice(0, MAX_PINS));
  if (!parsed.success) throw new Error('not a list of certificate pins');
  const record: StoredPins = { pins: parsed.data, replaces: fingerprintOfList(configured) };
  writeAtomically(join(stateDir, PINS_FILE), JSON.stringify(record));
}

function readStored(stateDir: string): StoredPins | null {
  let text: string;
  try {
    text = readFileSync(join(stateDir, PINS_FILE), 'utf8');
  } catch {
    return null;
  }
  if (text.length > MAX_STORED_BYTES) return null;
  try {
    const value = JSON.parse(text) as Partial<StoredPins>;
    const pins = PinList.safeParse(value.pins);
    if (!pins.success || typeof value.replaces !== 'string' || !/^[0-9a-f]{64}$/.test(value.replaces)) return null;
    return { pins: pins.data, replaces: value.replaces };
  } catch {
    return null;
  }
}
