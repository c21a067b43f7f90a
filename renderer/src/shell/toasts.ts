// Toasts (Mantine notifications): short news about something the user did or that happened in the
// background. Errors stay until closed (the user must get to read them); success fades after 4 s.
import { notifications } from '@mantine/notifications';
import { userMessage } from '../errors';
import { i18n } from '../i18n';

type Tone = 'green' | 'red' | 'blue';

/** Every toast: a named close button and a message in the text colour (Mantine's dimmed grey fails contrast). */
function show(color: Tone, title: string | undefined, message: string, autoClose: number | false): void {
  notifications.show({
    color,
    title,
    message,
    autoClose,
    closeButtonProps: { 'aria-label': i18n.t('common:dialogs.close') },
    styles: { description: { color: 'var(--mantine-color-text)' } },
  });
}

export function toastSuccess(message: string, title?: string): void {
  show('green', title ?? i18n.t('common:toast.done'), message, 4_000);
}

export function toastError(error: unknown, title?: string): void {
  show('red', title ?? i18n.t('common:toast.error'), userMessage(error), false);
}

export function toastInfo(message: string, title?: string): void {
  show('blue', title, message, 6_000);
}
