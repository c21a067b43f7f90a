// `npm run bench -- hostile`: the attack run of issue 24 kept as a bounded suite. Each attack returns
// rows (what it counted, the figure found before the fixes, the bar); the suite prints them in one
// table and saves them to bench-results/hostile.json. A failed attack is a row too, never a crash.
import { saveResult } from './harness.js';
import { apiAbuseAttack } from './hostile/api.js';
import { eventStreamAttack } from './hostile/event-stream.js';
import { symlinkSwapAttack } from './hostile/files.js';
import { gatewayStarvationAttack } from './hostile/gateway.js';
import { impersonationAttack } from './hostile/impersonation.js';
import { lifecycleAttack } from './hostile/lifecycle.js';
import { poisonFrameAttack } from './hostile/poison.js';
import { type Attack, type AttackRow, printAttackRows } from './hostile/report.js';
import { reconnectTrafficAttack } from './hostile/traffic.js';

const attacks: Record<string, Attack> = {
  files: symlinkSwapAttack,
  impersonation: impersonationAttack,
  lifecycle: lifecycleAttack,
  poison: poisonFrameAttack,
  events: eventStreamAttack,
  gateway: gatewayStarvationAttack,
  api: apiAbuseAttack,
  traffic: reconnectTrafficAttack,
};

export async function runHostileBenchmarks(): Promise<AttackRow[]> {
  const rows: AttackRow[] = [];
  for (const [name, attack] of Object.entries(attacks)) {
    const started = Date.now();
    try {
      rows.push(...(await attack()));
    } catch (error) {
      rows.push({ attack: name, measure: 'attack crashed', value: 1, before: null, target: '0', ok: false });
      console.error(`attack ${name} failed:`, error);
    }
    console.log(`  ${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  printAttackRows(rows);
  saveResult('hostile', rows);
  return rows;
}
