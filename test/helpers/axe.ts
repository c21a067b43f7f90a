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
