// A wide table's horizontal scroller: on a narrow screen the table scrolls inside it (the page never
// scrolls sideways). Focusable and named, so keyboard users can scroll it with the arrow keys.
import type { ReactNode } from 'react';

export function ScrollTable({ label, minWidth, children }: { label: string; minWidth: number; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
    <section className="scroll-table" aria-label={label} tabIndex={0}>
      <div style={{ minWidth }}>{children}</div>
    </section>
  );
}
