// In-app confirmation and text dialogs on @mantine/modals. Electron implements neither window.prompt
// nor a confirm that matches the app, so every question the UI asks goes through here, answered
// through a promise: focus is kept inside, Escape (or the close button, or a click outside) is "no",
// Enter confirms.
import { Button, Group, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { ModalsProvider, modals } from '@mantine/modals';
import { type FormEvent, type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { i18n } from './i18n';

export interface ConfirmOptions {
  title: string;
  /** What will happen, in the user's words. */
  message?: ReactNode;
  confirmLabel: string;
  /** Destructive actions get the danger style. */
  danger?: boolean;
}

export interface PromptOptions {
  title: string;
  label: string;
  initial?: string;
  confirmLabel: string;
  /** Returns what is wrong with the value (shown under the field), or null when it is fine. */
  validate?: (value: string) => string | null;
  /** A password: typed hidden (with a show toggle), never autofilled as the signed-in user's own. */
  secret?: boolean;
}

interface Dialogs {
  confirm(options: ConfirmOptions): Promise<boolean>;
  prompt(options: PromptOptions): Promise<string | null>;
}

/** Resolves once: the first answer wins (closing after confirming is not a second "no"). */
function once<T>(resolve: (value: T) => void): (value: T) => void {
  let answered = false;
  return (value) => {
    if (answered) return;
    answered = true;
    resolve(value);
  };
}

function confirm(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const answer = once(resolve);
    modals.openConfirmModal({
      title: options.title,
      children: options.message ? (
        <Text component="div" size="sm">
          {options.message}
        </Text>
      ) : null,
      labels: { confirm: options.confirmLabel, cancel: i18n.t('common:dialogs.cancel') },
      // A confirmation's default answer is its action (Enter does it), unless it destroys something.
      confirmProps: options.danger ? { color: 'red' } : { 'data-autofocus': true },
      cancelProps: options.danger ? { 'data-autofocus': true } : {},
      onConfirm: () => answer(true),
      onCancel: () => answer(false),
      onClose: () => answer(false),
    });
  });
}

let prompts = 0;

function prompt(options: PromptOptions): Promise<string | null> {
  return new Promise((resolve) => {
    const answer = once(resolve);
    const modalId = `prompt-${++prompts}`;
    modals.open({
      modalId,
      title: options.title,
      children: (
        <PromptForm
          options={options}
          onAnswer={(value) => {
            answer(value);
            modals.close(modalId);
          }}
        />
      ),
      onClose: () => answer(null),
    });
  });
}

const dialogs: Dialogs = { confirm, prompt };

export function useDialogs(): Dialogs {
  return dialogs;
}

export function DialogProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  return (
    <ModalsProvider
      modalProps={{ centered: true, closeOnEscape: true, closeButtonProps: { 'aria-label': t('dialogs.close') } }}
    >
      {children}
    </ModalsProvider>
  );
}

function PromptForm({ options, onAnswer }: { options: PromptOptions; onAnswer: (value: string | null) => void }) {
  const { t } = useTranslation();
  const [value, setValue] = useState(options.initial ?? '');
  const [touched, setTouched] = useState(false);
  const problem = options.validate?.(value) ?? null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (problem === null) onAnswer(value);
  };
  return (
    <form onSubmit={submit}>
      <Stack gap="md">
        {options.secret ? (
          <PasswordInput
            data-autofocus
            autoComplete="new-password"
            label={options.label}
            value={value}
            onChange={(event) => {
              setValue(event.currentTarget.value);
              setTouched(true);
            }}
            error={touched ? problem : null}
            errorProps={{ role: 'alert' }}
          />
        ) : (
          <TextInput
            data-autofocus
            label={options.label}
            value={value}
            onChange={(event) => {
              setValue(event.currentTarget.value);
              setTouched(true);
            }}
            error={touched ? problem : null}
            errorProps={{ role: 'alert' }}
          />
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={() => onAnswer(null)}>
            {t('dialogs.cancel')}
          </Button>
          <Button type="submit">{options.confirmLabel}</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** A file or folder name: one path component. */
export function fileNameProblem(name: string): string | null {
  if (name.trim() === '') return 'Type a name.';
  if (name.includes('/')) return 'A name cannot contain "/": it names one file or folder, not a path.';
  if (name === '.' || name === '..') return `"${name}" is not a usable name.`;
  if ([...name].some((c) => (c.codePointAt(0) ?? 0) < 0x20 || c === '\u007f'))
    return 'A name cannot contain control characters.';
  if (new TextEncoder().encode(name).length > 255) return 'A name can be at most 255 bytes long.';
  return null;
}
