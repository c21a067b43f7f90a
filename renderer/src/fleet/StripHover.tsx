// The fleet table's per-day uptime hover: one listener on the table (rows mount at every scroll step,
// so the strips have no handlers of their own) finds the strip and the day under the pointer and shows
// that day like the cards' bars do (NodeDayDetail: the day's outages fetched for the hovered node).
import { type RefObject, useEffect, useState } from 'react';
import type { Client } from '../../../main/contract/contract';
import type { FleetUptimeIndex } from './fleet-data';
import { NodeDayDetail } from './UptimeBar';

interface Hovered {
  nodeId: string;
  index: number;
  left: number;
  top: number;
}

/** Which strip and day `event` points at, or null. */
function hoveredOf(event: MouseEvent, count: (nodeId: string) => number): Hovered | null {
  const strip = (event.target as Element | null)?.closest?.('.uptime-strip');
  const nodeId = strip?.closest('tr[data-node-id]')?.getAttribute('data-node-id');
  if (!strip || !nodeId) return null;
  const n = count(nodeId);
  if (n === 0) return null;
  const box = strip.getBoundingClientRect();
  const index = Math.min(n - 1, Math.max(0, Math.floor(((event.clientX - box.left) / Math.max(1, box.width)) * n)));
  // Kept inside the window: a strip near the right edge opens its detail to the left.
  const left = Math.max(8, Math.min(box.left, window.innerWidth - 16 * 16));
  return { nodeId, index, left, top: box.bottom + 4 };
}

export function StripHover({
  client,
  container,
  uptime,
}: {
  client: Client;
  container: RefObject<HTMLElement | null>;
  uptime: FleetUptimeIndex;
}) {
  const [hovered, setHovered] = useState<Hovered | null>(null);
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const count = (id: string) => uptime.daysOf(id)?.length ?? 0;
    const move = (event: MouseEvent) => {
      const next = hoveredOf(event, count);
      setHovered((prev) =>
        prev?.nodeId === next?.nodeId && prev?.index === next?.index && prev?.top === next?.top ? prev : next,
      );
    };
    const leave = () => setHovered(null);
    el.addEventListener('mousemove', move);
    el.addEventListener('mouseleave', leave);
    // The rows move under a still pointer when the table scrolls: the detail would point at another row.
    el.addEventListener('scroll', leave, true);
    return () => {
      el.removeEventListener('mousemove', move);
      el.removeEventListener('mouseleave', leave);
      el.removeEventListener('scroll', leave, true);
    };
  }, [container, uptime]);
  if (!hovered) return null;
  const day = uptime.daysOf(hovered.nodeId)?.[hovered.index];
  if (!day) return null;
  return (
    <NodeDayDetail
      source={{ client, nodeId: hovered.nodeId, period: uptime.period }}
      day={day}
      floating
      style={{ left: hovered.left, top: hovered.top }}
    />
  );
}
