// What every browser test starts with: a real headless master, real agent processes on nodes it
// created, a headless Chromium and a logged-in page; `close()` undoes all of it (browser first, then
// agents, then the master). Call it in beforeAll and close it in afterAll:
//
//   let s: E2eSession;
//   beforeAll(async () => { s = await e2eSession({ agents: [{ name: 'web-1', args: ['--terminal'] }] }); });
//   afterAll(() => s?.close());
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import {
  createNode,
  type MasterHandle,
  type MasterStart,
  type Proc,
  startAgent,
  startMaster,
  waitForStatus,
} from './processes.js';
import { launchChromium } from './services.js';

export interface SessionAgent {
  name: string;
  /** Extra agent flags (`--root`, `--terminal`, …). */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  labels?: Record<string, string>;
}

export interface SessionNode {
  id: string;
  token: string;
  proc: Proc;
}

export interface E2eSessionOptions {
  /** How to start the master, or a function that starts it (the caller then stops it: push its proc
   * onto `procs`, as a test restarting the master does). */
  master?: MasterStart | (() => Promise<MasterHandle>);
  /** Agents started in order, each online before the next starts. */
  agents?: readonly SessionAgent[];
  /** The first page's options (viewport 1280×800 and locale en-US unless given). */
  page?: BrowserContextOptions;
  /** Log the first page in and wait for this text; false leaves it on a blank page. Default
   * "(this master)", the fleet's local node. */
  loggedIn?: string | false;
  /** Runs before the first navigation (init scripts, request listeners), with what has started. */
  beforeLogin?: (
    page: Page,
    started: { master: MasterHandle; nodes: Record<string, SessionNode> },
  ) => Promise<void> | void;
}

export interface E2eSession {
  master: MasterHandle;
  browser: Browser;
  page: Page;
  /** The started agents by node name. */
  nodes: Record<string, SessionNode>;
  /** Processes stopped (SIGKILL, last first) by close(): the agents, and anything a test adds. */
  procs: Proc[];
  /** Creates a node and starts its agent; resolves once the node is online. */
  addAgent(agent: SessionAgent): Promise<SessionNode>;
  /** Another page in the same browser (pageerror logged), logged in unless `loggedIn` is false. */
  newPage(options?: BrowserContextOptions, loggedIn?: string | false): Promise<Page>;
  /** Logs `page` in with the admin token and waits for `waitFor`. */
  logIn(page: Page, waitFor?: string): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_PAGE: BrowserContextOptions = { viewport: { width: 1280, height: 800 }, locale: 'en-US' };

export async function e2eSession(options: E2eSessionOptions = {}): Promise<E2eSession> {
  const ownsMaster = typeof options.master !== 'function';
  const master = typeof options.master === 'function' ? await options.master() : await startMaster(options.master);
  const procs: Proc[] = [];
  const nodes: Record<string, SessionNode> = {};
  let browser: Browser | undefined;

  const close = async () => {
    await browser?.close();
    for (const proc of [...procs].reverse()) await proc.stop('SIGKILL');
    if (ownsMaster) await master.proc.stop();
  };

  const addAgent = async ({ name, args = [], env, labels }: SessionAgent): Promise<SessionNode> => {
    const { node, token } = await createNode(master, name);
    if (labels) await master.client.updateNode({ id: node.id, labels });
    const proc = startAgent({ master, token, args, env });
    procs.push(proc);
    await waitForStatus(master, node.id, 'online', 15_000);
    nodes[name] = { id: node.id, token, proc };
    return nodes[name];
  };

  const logIn = async (page: Page, waitFor = '(this master)') => {
    await page.goto(master.adminUrl);
    // By role, not by name: the login screen speaks the browser's language.
    await page.locator('input[type="password"]').fill(master.adminToken);
    await page.locator('button[type="submit"]').click();
    await page.getByText(waitFor).first().waitFor();
  };

  const open = async (pageOptions: BrowserContextOptions | undefined) => {
    if (!browser) throw new Error('the browser is not running');
    const page = await browser.newPage({ ...DEFAULT_PAGE, ...pageOptions });
    // A page error fails loudly in the output instead of showing up only as a missing element.
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    return page;
  };

  try {
    for (const agent of options.agents ?? []) await addAgent(agent);
    browser = await launchChromium();
    const page = await open(options.page);
    await options.beforeLogin?.(page, { master, nodes });
    if (options.loggedIn !== false) await logIn(page, options.loggedIn);
    return {
      master,
      browser,
      page,
      nodes,
      procs,
      addAgent,
      logIn,
      close,
      newPage: async (pageOptions, loggedIn) => {
        const opened = await open(pageOptions);
        if (loggedIn !== false) await logIn(opened, loggedIn);
        return opened;
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}
