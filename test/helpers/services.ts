// Suites that need a service this machine may not have skip loudly, naming it; with
// FLEETDECK_REQUIRE_SERVICES=1 (set by .ci/run) they fail instead, so CI never skips silently.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = process.env.FLEETDECK_CHROMIUM ?? '/usr/bin/chromium';

export function serviceAvailable(name: string, available: boolean, howToGet: string): boolean {
  if (available) return true;
  if (process.env.FLEETDECK_REQUIRE_SERVICES === '1') {
    throw new Error(`${name} is required (FLEETDECK_REQUIRE_SERVICES=1) but missing: ${howToGet}`);
  }
  console.warn(`\n  SKIPPING: ${name} is not available here (${howToGet}).\n`);
  return false;
}

export const hasChromium = () =>
  serviceAvailable(
    'Chromium',
    existsSync(CHROMIUM),
    `install it with "apt-get install chromium" or set FLEETDECK_CHROMIUM`,
  );

/** Debian's Chromium, headless, as the project runs it (playwright-core gives each launch a fresh,
 * empty user-data-dir of its own). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}
