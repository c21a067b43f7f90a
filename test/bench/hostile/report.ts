// What every attack of `npm run bench -- hostile` reports: one row per attack, printed beside the
// figures the attack run of 2026-12 found on the code before the fixes (issue 24), so a regression
// reads as a number that moved back.
export interface AttackRow {
  /** Short name of the attack, e.g. "symlink swap: reads". */
  attack: string;
  /** What is counted, in the user's words: "escapes", "lost bytes", "lockout s", "crashes". */
  measure: string;
  /** Measured in this run. */
  value: number;
  /** What the attack run found before the fix (the figure), or null when it had none. */
  before: number | null;
  /** The bar this run must meet, e.g. "0" or "≤ 10 s". */
  target: string;
  ok: boolean;
}

export type Attack = () => Promise<AttackRow[]>;

export function printAttackRows(rows: AttackRow[]): void {
  console.table(
    rows.map((r) => ({
      attack: r.attack,
      measure: r.measure,
      value: r.value,
      before: r.before ?? '—',
      target: r.target,
      ok: r.ok ? '✓' : '✗',
    })),
  );
}
