// Target nodes as checkboxes. Memoized: a form around it re-renders on every keystroke, and a fleet of
// thousands of checkboxes must not re-render with it (only when the nodes or the selection change).
import { Checkbox, Fieldset, Group } from '@mantine/core';
import { memo } from 'react';

export interface PickableNode {
  id: string;
  name: string;
  status: string;
}

export const NodePicker = memo(function NodePicker({
  legend,
  nodes,
  selected,
  onToggle,
}: {
  legend: string;
  nodes: readonly PickableNode[];
  selected: ReadonlySet<string>;
  /** Stable (useCallback): a new function re-renders every checkbox. */
  onToggle: (id: string) => void;
}) {
  return (
    <Fieldset legend={legend} className="node-picker">
      <Group gap="md">
        {nodes.map((node) => (
          <Checkbox
            key={node.id}
            label={node.name}
            className={node.status}
            checked={selected.has(node.id)}
            onChange={() => onToggle(node.id)}
          />
        ))}
      </Group>
    </Fieldset>
  );
});
