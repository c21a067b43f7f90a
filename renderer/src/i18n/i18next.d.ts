// Typed keys: t('common:nav.nodes') is checked against the English bundles, which are complete by rule
// (every key exists in en; zh-CN mirrors it).
import 'i18next';
import type alerts from './locales/en/alerts.json';
import type audit from './locales/en/audit.json';
import type commands from './locales/en/commands.json';
import type common from './locales/en/common.json';
import type files from './locales/en/files.json';
import type fleet from './locales/en/fleet.json';
import type install from './locales/en/install.json';
import type node from './locales/en/node.json';
import type probes from './locales/en/probes.json';
import type settings from './locales/en/settings.json';
import type tasks from './locales/en/tasks.json';
import type terminal from './locales/en/terminal.json';

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: {
      common: typeof common;
      fleet: typeof fleet;
      node: typeof node;
      files: typeof files;
      commands: typeof commands;
      tasks: typeof tasks;
      settings: typeof settings;
      alerts: typeof alerts;
      install: typeof install;
      terminal: typeof terminal;
      audit: typeof audit;
      probes: typeof probes;
    };
  }
}
