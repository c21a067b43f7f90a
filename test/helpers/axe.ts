// axe-core in a real page: the accessibility check every browser test runs on every screen. The
// script is evaluated through the DevTools protocol, which the app's Content-Security-Policy (no
// inline scripts) does not stop and which leaves the page's own scripts untouched.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue, Result } from 'axe-core';
import type { Page } from 'playwright-core';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const BLOCKING: readonly ImpactValue[] = ['serious', 'critical'];

/** Violations of WCAG 2.x A/AA (and axe's best practices) on the page as it is now. */
export async function axeViolations(page: Page, options: { include?: string } = {}): Promise<Result[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  // A dialog fading in has blended colours: measure contrast once transitions and animations end.
  await page.evaluate(() =>
    Promise.race([
      Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
      new Promise((resolve) => setTimeout(resolve, 2_000)),
    ]),
  );
  const results = await page.evaluate(
    async ({ include }) => {
      const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<unknown> } }).axe;
      return axe.run(include ? { include: [include] } : document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
        resultTypes: ['violations'],
      });
    },
    { include: options.include ?? null },
  );
  return (results as AxeResults).violations;
}

/** Fails with a readable list (rule, impact, where) when a serious or critical violation is on the page. */
export async function expectAccessible(page: Page, screen: string, options: { include?: string } = {}): Promise<void> {
  const blocking = (await axeViolations(page, options)).filter((v) => v.impact && BLOCKING.includes(v.impact));
  if (blocking.length === 0) return;
  const lines = blocking.map(
    (v) =>
      `- ${v.id} (${v.impact}): ${v.help}\n${v.nodes
        .slice(0, 5)
        .map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.split('\n').slice(1).join(' ').trim() ?? ''}`)
        .join('\n')}`,
  );
  throw new Error(`Accessibility problems on ${screen} (axe-core, serious or critical):\n${lines.join('\n')}`);
}

/**
 * axe's colour-contrast rule on `selector` (the status badges unless told) in the light and then the
 * dark scheme, the system's choice emulated (the app follows it until the user picks one). Fails when a
 * badge is below AA, when axe could not tell (an unmeasurable one would pass silently), or when there is
 * no badge to check. Leaves the page light.
 */
export async function expectContrastInBothSchemes(page: Page, screen: string, selector = '[data-tone]'): Promise<void> {
  const problems: string[] = [];
  try {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.waitForFunction((s) => document.documentElement.dataset.mantineColorScheme === s, scheme, {
        timeout: 10_000,
      });
      const results = await contrastResults(page, selector);
      const where = (r: Result[]) =>
        r.flatMap((v) => v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`));
      if (results.passes === 0 && results.violations.length === 0) problems.push(`${scheme}: no ${selector} to check`);
      for (const line of where(results.violations)) problems.push(`${scheme}, below AA: ${line}`);
      for (const line of where(results.incomplete)) problems.push(`${scheme}, not measurable: ${line}`);
    }
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
  }
  if (problems.length > 0) throw new Error(`Colour contrast on ${screen} (axe-core):\n- ${problems.join('\n- ')}`);
}

async function contrastResults(
  page: Page,
  selector: string,
): Promise<{ passes: number; violations: Result[]; incomplete: Result[] }> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  // A scheme switch fades colours (Mantine's transitions): measure once they end.
  await page.evaluate(() =>
    Promise.race([
      Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))),
      new Promise((resolve) => setTimeout(resolve, 2_000)),
    ]),
  );
  const results = (await page.evaluate(async (include) => {
    const axe = (window as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<unknown> } }).axe;
    return axe.run({ include: [include] }, { runOnly: { type: 'rule', values: ['color-contrast'] } });
  }, selector)) as AxeResults;
  const nodes = (r: Result[]) => r.reduce((sum, v) => sum + v.nodes.length, 0);
  return { passes: nodes(results.passes), violations: results.violations, incomplete: results.incomplete };
}
