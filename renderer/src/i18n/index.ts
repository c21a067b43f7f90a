// i18next for the renderer: one namespace per screen (locales/<language>/<namespace>.json). The
// shell's strings (common) ship in the first bundle for every language; a screen's namespaces load
// with the screen (react-i18next suspends until they are there). The language follows the system
// (navigator.languages) unless the user chose one in Settings; the choice is kept in this browser.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import enCommon from './locales/en/common.json';
import zhCommon from './locales/zh-CN/common.json';

export const NAMESPACES = [
  'common',
  'fleet',
  'node',
  'files',
  'commands',
  'tasks',
  'settings',
  'alerts',
  'install',
  'terminal',
  'audit',
  'probes',
] as const;
export type Namespace = (typeof NAMESPACES)[number];

/** The languages the UI speaks, each named in itself (what a reader of it looks for). */
export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];
export type LanguageChoice = Language | 'system';

const KEY = 'fleetdeck.language';
const lazyBundles = import.meta.glob<{ default: Record<string, unknown> }>([
  './locales/*/*.json',
  '!./locales/*/common.json',
]);

/** The first of the system's preferred languages the UI speaks (any Chinese reads Simplified). */
export function systemLanguage(preferred: readonly string[] = navigator.languages): Language {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export function languageChoice(): LanguageChoice {
  const saved = localStorage.getItem(KEY);
  return LANGUAGES.some((l) => l.code === saved) ? (saved as Language) : 'system';
}

export function resolveLanguage(choice: LanguageChoice): Language {
  return choice === 'system' ? systemLanguage() : choice;
}

/** Switches the UI's language and remembers the choice ("system" forgets it). */
export async function chooseLanguage(choice: LanguageChoice): Promise<void> {
  if (choice === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  await i18next.changeLanguage(resolveLanguage(choice));
}

/** The language strings are shown in now (formatters use it for Intl). */
export function currentLanguage(): Language {
  return (i18next.resolvedLanguage as Language | undefined) ?? 'en';
}

i18next.on('languageChanged', (language) => {
  document.documentElement.lang = language;
});

void i18next
  .use(initReactI18next)
  .use({
    type: 'backend',
    read(language: string, namespace: string, done: (error: Error | null, data?: Record<string, unknown>) => void) {
      const load = lazyBundles[`./locales/${language}/${namespace}.json`];
      if (!load) return done(null, {});
      load().then(
        (bundle) => done(null, bundle.default),
        (error: Error) => done(error),
      );
    },
  })
  .init({
    lng: resolveLanguage(languageChoice()),
    fallbackLng: 'en',
    supportedLngs: LANGUAGES.map((l) => l.code),
    ns: ['common'],
    defaultNS: 'common',
    resources: { en: { common: enCommon }, 'zh-CN': { common: zhCommon } },
    partialBundledLanguages: true,
    // React escapes what it renders; i18next escaping again would show "&amp;".
    interpolation: { escapeValue: false },
    react: { useSuspense: true },
    returnNull: false,
  });

export { i18next as i18n };
