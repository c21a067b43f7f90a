// The admin credential for the headless API: from FLEETDECK_ADMIN_TOKEN, or created once in the
// data dir (mode 0600) for the admin to read. Only its hash is kept in memory for comparison.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateToken, hashToken, safeEqual } from './nodes/tokens.js';

export interface AdminCredential {
  /** Where the token lives, or null when it came from the environment. */
  file: string | null;
  verify(presented: string): boolean;
}

export function loadAdminCredential(dataDir: string, fromEnv: string | undefined): AdminCredential {
  let token: string;
  let file: string | null = null;
  if (fromEnv) {
    if (fromEnv.length < 16) throw new Error('FLEETDECK_ADMIN_TOKEN must be at least 16 characters.');
    token = fromEnv;
  } else {
    file = join(dataDir, 'admin-token');
    if (!existsSync(file)) writeFileSync(file, `${generateToken()}\n`, { mode: 0o600 });
    token = readFileSync(file, 'utf8').trim();
  }
  const expected = hashToken(token);
  return { file, verify: (presented) => safeEqual(hashToken(presented), expected) };
}
