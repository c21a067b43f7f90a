// The public status page's configuration (administrators only) and what the page itself publishes.
// What a visitor sees is `PublicStatusPage`: names, states and uptime — never ids (unless chosen),
// labels, addresses, host facts or commands.
import { z } from 'zod';

/** Paths the admin server already answers, which a status page may not take. */
const RESERVED = /^\/(api|metrics|assets|fleetdeck)(\/|$)/;

export const StatusPagePath = z
  .string()
  .regex(/^(\/[a-z0-9][a-z0-9_-]{0,31}){1,4}$/, 'a path such as /status: lower-case letters, digits, - and _')
  .refine((p) => !RESERVED.test(p), 'that path belongs to the admin server (/api, /metrics, /assets)');

/** One entry or a set of them: a node or probe by id, or every one whose labels match a selector. */
export const StatusPageItem = z
  .object({
    kind: z.enum(['node', 'probe']),
    /** One node or probe by id. */
    id: z.string().trim().min(1).max(64).optional(),
    /** Or every node (probe) with these labels, "key=value, …". */
    selector: z.string().trim().min(1).max(512).optional(),
    /** The name visitors see (id items; default: the node's or probe's name). */
    displayName: z.string().trim().min(1).max(100).optional(),
  })
  .refine((i) => (i.id === undefined) !== (i.selector === undefined), 'give either an id or a selector');
export type StatusPageItem = z.infer<typeof StatusPageItem>;

export const StatusPageGroup = z.object({
  name: z.string().trim().min(1).max(100),
  items: z.array(StatusPageItem).max(100),
});

export const StatusPageLanguage = z.enum(['auto', 'en', 'zh-CN']);
export type StatusPageLanguage = z.infer<typeof StatusPageLanguage>;

export const StatusPageConfig = z.object({
  /** Off by default: nothing is served until an administrator turns it on. */
  enabled: z.boolean().default(false),
  path: StatusPagePath.default('/status'),
  title: z.string().trim().min(1).max(120).default('Service status'),
  description: z.string().trim().max(500).default(''),
  /** `auto`: the visitor's Accept-Language (Chinese → zh-CN, else English). */
  language: StatusPageLanguage.default('auto'),
  /** Publish node and probe ids in the JSON and badge links (off: entries are named by a key from their name). */
  showIds: z.boolean().default(false),
  groups: z.array(StatusPageGroup).max(20).default([]),
});
export type StatusPageConfig = z.infer<typeof StatusPageConfig>;

export const StatusPageView = z.object({
  config: StatusPageConfig,
  /** Moves with every saved change. */
  revision: z.number().int().min(0),
  updatedAt: z.number().nullable(),
  /** The separate listener (`--status-listen`), when the master has one. */
  listen: z.string().nullable(),
  /** The entries the page shows now (names as visitors see them), to check the configuration. */
  entries: z.array(
    z.object({ group: z.string(), key: z.string(), name: z.string(), kind: z.enum(['node', 'probe']), id: z.string() }),
  ),
});
export type StatusPageView = z.infer<typeof StatusPageView>;

const Permille = z.number().int().min(0).max(1000).nullable();

/** What the page publishes (also GET <path>/status.json). */
export const PublicStatusPage = z.object({
  title: z.string(),
  description: z.string(),
  generatedAt: z.number(),
  /** operational: all up; partial: some down; major: all down; unknown: nothing observed yet. */
  overall: z.enum(['operational', 'partial', 'major', 'unknown']),
  groups: z.array(
    z.object({
      name: z.string(),
      entries: z.array(
        z.object({
          key: z.string(),
          name: z.string(),
          kind: z.enum(['node', 'probe']),
          /** Only when the page publishes ids. */
          id: z.string().optional(),
          state: z.enum(['up', 'down', 'unknown']),
          uptime: z.object({ h24: Permille, d30: Permille, d90: Permille }),
          /** 90 local days, oldest first. */
          days: z.array(z.object({ day: z.string(), permille: Permille, outages: z.number().int().min(0) })),
        }),
      ),
    }),
  ),
});
export type PublicStatusPage = z.infer<typeof PublicStatusPage>;
