// The pieces every long table shares: a sortable header cell and a virtualized body that keeps only
// the visible rows (plus an overscan) in the DOM, however many items there are.
import { useVirtualizer } from '@tanstack/react-virtual';
import { type HTMLAttributes, type ReactNode, useRef } from 'react';

export interface Sort<K extends string> {
  key: K;
  desc: boolean;
}

/** A header cell that sorts by `sortKey`; a new key starts descending when `descFirst` says so. */
export function SortHeader<K extends string>(props: {
  label: string;
  sortKey: K;
  sort: Sort<K>;
  onSort: (sort: Sort<K>) => void;
  descFirst?: boolean;
}) {
  const { label, sortKey, sort, onSort, descFirst = false } = props;
  const active = sort.key === sortKey;
  return (
    <th aria-sort={active ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
      <button type="button" onClick={() => onSort({ key: sortKey, desc: active ? !sort.desc : descFirst })}>
        {label}
        {active ? (sort.desc ? ' ▾' : ' ▴') : ''}
      </button>
    </th>
  );
}

/**
 * The table body: rows are positioned in a scrolling `tbody`; `rowProps` adds per-row attributes,
 * `rowClass` may differ per row (a group's heading), `bodyProps` marks the scroller.
 */
export function VirtualRows<T>(props: {
  items: readonly T[];
  rowHeight: number;
  overscan: number;
  rowClass: string | ((item: T) => string);
  rowKey: (item: T) => string;
  rowProps?: (item: T) => HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string>;
  bodyProps?: Record<`data-${string}`, string>;
  children: (item: T) => ReactNode;
}) {
  const { items, rowHeight, overscan, rowClass, rowKey, rowProps, bodyProps, children } = props;
  const scroller = useRef<HTMLTableSectionElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan,
  });
  return (
    <tbody className="grid-body" ref={scroller} {...bodyProps}>
      <tr className="grid-spacer" style={{ height: virtualizer.getTotalSize() }} />
      {virtualizer.getVirtualItems().map((row) => {
        const item = items[row.index] as T;
        return (
          <tr
            key={rowKey(item)}
            {...rowProps?.(item)}
            className={typeof rowClass === 'string' ? rowClass : rowClass(item)}
            aria-rowindex={row.index + 2}
            style={{ transform: `translateY(${row.start}px)` }}
          >
            {children(item)}
          </tr>
        );
      })}
    </tbody>
  );
}
