// A status as a neutral badge with a coloured dot: the colour is a hint, the word carries the
// meaning, and the text keeps full contrast in both schemes (a filled green or red badge does not).
import { Badge, ColorSwatch } from '@mantine/core';

export type Tone = 'ok' | 'bad' | 'warn' | 'muted';

export function StatusBadge({ tone, children }: { tone: Tone; children: string }) {
  return (
    <Badge
      variant="default"
      leftSection={<ColorSwatch color={`var(--${tone})`} size={8} withShadow={false} aria-hidden />}
    >
      {children}
    </Badge>
  );
}
