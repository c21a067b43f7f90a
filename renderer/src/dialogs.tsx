// In-app confirmation and text dialogs. Electron implements neither window.prompt nor a confirm that
// matches the app, so every question the UI asks goes through here: a native modal <dialog> (focus
// kept inside, Escape cancels, Enter confirms), one at a time, answered through a promise.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';

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
}

type Request =
  | { kind: 'confirm'; options: ConfirmOptions; resolve: (answer: boolean) => void }
  | { kind: 'prompt'; options: PromptOptions; resolve: (answer: string | null) => void };

interface Dialogs {
  confirm(options: ConfirmOptions): Promise<boolean>;
  prompt(options: PromptOptions): Promise<string | null>;
}

const DialogContext = createContext<Dialogs | null>(null);

export function useDialogs(): Dialogs {
  const dialogs = useContext(DialogContext);
  if (!dialogs) throw new Error('useDialogs needs a <DialogProvider> above it');
  return dialogs;
}

export function DialogProvider({ children }: { children: ReactNode }) {
  const [queue, setQueue] = useState<Request[]>([]);
  const push = useCallback((request: Request) => setQueue((q) => [...q, request]), []);
  const [dialogs] = useState<Dialogs>(() => ({
    confirm: (options) => new Promise((resolve) => push({ kind: 'confirm', options, resolve })),
    prompt: (options) => new Promise((resolve) => push({ kind: 'prompt', options, resolve })),
  }));
  const current = queue[0];
  const done = () => setQueue((q) => q.slice(1));
  return (
    <DialogContext.Provider value={dialogs}>
      {children}
      {current && <QuestionDialog key={queue.length} request={current} onDone={done} />}
    </DialogContext.Provider>
  );
}

function QuestionDialog({ request, onDone }: { request: Request; onDone: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [value, setValue] = useState(request.kind === 'prompt' ? (request.options.initial ?? '') : '');
  const [touched, setTouched] = useState(false);
  const answered = useRef(false);
  const problem = request.kind === 'prompt' ? (request.options.validate?.(value) ?? null) : null;

  const answer = (yes: boolean) => {
    if (answered.current) return;
    answered.current = true;
    if (request.kind === 'confirm') request.resolve(yes);
    else request.resolve(yes ? value : null);
    ref.current?.close();
    onDone();
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: opened once per question
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    dialog.showModal();
    // Escape (the dialog's cancel event) is a "no".
    const onCancel = (event: Event) => {
      event.preventDefault();
      answer(false);
    };
    dialog.addEventListener('cancel', onCancel);
    return () => dialog.removeEventListener('cancel', onCancel);
  }, []);

  const { options } = request;
  const titleId = 'question-dialog-title';
  return (
    <dialog ref={ref} className="question" aria-labelledby={titleId}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          setTouched(true);
          if (problem === null) answer(true);
        }}
      >
        <h2 id={titleId}>{options.title}</h2>
        {request.kind === 'confirm' && request.options.message && <p>{request.options.message}</p>}
        {request.kind === 'prompt' && (
          <label>
            {request.options.label}
            <input
              autoFocus
              value={value}
              aria-invalid={touched && problem !== null}
              aria-describedby={problem ? 'question-dialog-problem' : undefined}
              onChange={(event) => {
                setValue(event.target.value);
                setTouched(true);
              }}
            />
          </label>
        )}
        {touched && problem && (
          <p id="question-dialog-problem" className="error" role="alert">
            {problem}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={() => answer(false)}>
            Cancel
          </button>
          <button
            type="submit"
            className={request.kind === 'confirm' && request.options.danger ? 'danger' : undefined}
            // biome-ignore lint/a11y/noAutofocus: a confirmation's default answer is its action
            autoFocus={request.kind === 'confirm'}
          >
            {options.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
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
