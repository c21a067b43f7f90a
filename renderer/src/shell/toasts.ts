// Toasts (Mantine notifications): short news about something the user did or that happened in the
// background. Errors stay until closed (the user must get to read them); success fades after 4 s.
import { notifications } from '@mantine/notifications';
import { userMessage } from '../errors';
import { i18n } from '../i18n';

export function toastSuccess(message: string, title?: string): void {
  notifications.show({ color: 'green', title: title ?? i18n.t('common:toast.done'), message, autoClose: 4_000 });
}

export function toastError(error: unknown, title?: string): void {
  const message = userMessage(error);
  notifications.show({ color: 'red', title: title ?? i18n.t('common:toast.error'), message, autoClose: false });
}

export function toastInfo(message: string, title?: string): void {
  notifications.show({ color: 'blue', title, message, autoClose: 6_000 });
}
