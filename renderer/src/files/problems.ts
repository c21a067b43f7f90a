// What went wrong with a file action, in the user's words: the master's stable error code picks the
// sentence (files namespace, problems.*); the master's own message is shown only for codes the UI has
// no sentence for, without its [code] suffix.
import type { TFunction } from 'i18next';
import { ApiError } from '../transport';

const WORDED = new Set([
  'not_found',
  'permission_denied',
  'outside_roots',
  'exists',
  'not_empty',
  'too_large',
  'binary',
  'changed',
  'capability_missing',
  'node_offline',
  'timeout',
  'checksum_mismatch',
  'invalid_path',
  'is_a_directory',
  'not_a_directory',
  'cancelled',
  'unavailable',
  'interrupted',
]);

/** The sentence for `error`; `name` is the file or folder it was about. */
export function problemText(t: TFunction<'files'>, error: unknown, name = ''): string {
  if (error instanceof ApiError && WORDED.has(error.code)) {
    return t(`problems.${error.code}` as 'problems.not_found', { name });
  }
  const message = error instanceof Error ? error.message.replace(/ \[[a-z_]+\]$/, '') : String(error);
  return t('problems.other', { message });
}

/** What is wrong with a file or folder name (one path component), or null when it is usable. */
export function nameProblem(t: TFunction<'files'>, name: string): string | null {
  if (name.trim() === '') return t('names.empty');
  if (name.includes('/')) return t('names.slash');
  if (name === '.' || name === '..') return t('names.dots', { name });
  if ([...name].some((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f')) return t('names.control');
  if (new TextEncoder().encode(name).length > 255) return t('names.long');
  return null;
}
