// Pure cache helpers for the command history (no React, .js imports so unit tests can take them):
// a status event patches the cached rows of its command by id, in every list that shows it.
import type { InfiniteData } from '@tanstack/react-query';
import type { CommandView } from '../../main/contract/queue-schemas.js';

export type CommandPatch = Pick<CommandView, 'id' | 'status' | 'exitCode'>;

/** The row with the event's status and exit code (same object when nothing changes). */
export function patchCommand<T extends CommandView>(row: T, patch: CommandPatch): T {
  if (row.id !== patch.id || (row.status === patch.status && row.exitCode === patch.exitCode)) return row;
  return { ...row, status: patch.status, exitCode: patch.exitCode };
}

/** A paged command list with the event applied; `found` says whether any page held the command. */
export function patchCommandPages(
  data: InfiniteData<CommandView[]> | undefined,
  patch: CommandPatch,
): { data: InfiniteData<CommandView[]> | undefined; found: boolean } {
  if (!data) return { data, found: false };
  let found = false;
  const pages = data.pages.map((page) => {
    const index = page.findIndex((row) => row.id === patch.id);
    if (index < 0) return page;
    found = true;
    const next = [...page];
    next[index] = patchCommand(page[index] as CommandView, patch);
    return next;
  });
  return { data: found ? { ...data, pages } : data, found };
}
