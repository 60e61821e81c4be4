import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Report } from '../../local/report/Report.ts';
import { classifyError } from '../../shared/errors.ts';
import { renderHtml } from '../../local/report/renderHtml.ts';
import { loadScenario } from '../../local/scenario/Scenario.ts';
import { simulate } from '../../local/simulate/Simulation.ts';
import { localRuntime } from '../../local/simulate/localRuntime.ts';

/**
 * The HTML report in a real browser: Debian's Chromium, headless, driven by playwright-core. CI
 * installs Chromium (.ci/run); on a machine without it the test is skipped with the way to get it,
 * and in CI (CI set) a missing Chromium fails.
 */
const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = join(ROOT, '.reports', 'screenshots');
const present = existsSync(CHROMIUM);
const inCi = (process.env.CI ?? '') !== '';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function runScenario(file: string, options: { breakTraffic?: boolean } = {}): Promise<Report> {
  const scenario = loadScenario(join(ROOT, file), ROOT);
  const runtime = localRuntime();
  return simulate({
    scenario,
    ...runtime,
    ...(options.breakTraffic === true
      ? {
          // A traffic step that sets every weight to 0: a run that breaks invariant 1.
          functions: (context) => {
            const real = runtime.functions!(context);
            return {
              ...real,
              'lifeboat-traffic': async (payload, invocation) => {
                const p = payload as { operation?: string; request?: { application: string } };
                if (p.operation !== 'shiftTraffic' || p.request === undefined)
                  return real['lifeboat-traffic']!(payload, invocation);
                const regions = context.world.application(p.request.application).regions;
                const weights = Object.fromEntries(regions.map((r) => [r, 0]));
                try {
                  const changeId = context.world.changeWeights(p.request.application, weights, {
                    by: 'broken step',
                  });
                  return await Promise.resolve({ changeId, weights, at: context.clock.now().toISOString() });
                } catch (error) {
                  // Route 53's API is down with us-east-1: retried as the real step's errors are.
                  throw classifyError(error);
                }
              },
            };
          },
        }
      : {}),
  });
}

if (!present && !inCi) {
  describe('HTML report in Chromium', () => {
    it.skip(`skipped: ${CHROMIUM} is missing; install it with "apt-get install -y chromium" (CI installs it and fails without it)`, () => {});
  });
} else {
  describe('HTML report in Chromium', () => {
    let context: BrowserContext | undefined;
    let profile: string | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'lifeboat-html-'));

    beforeAll(async () => {
      if (!present)
        throw new Error(`${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
      profile = mkdtempSync(join(tmpdir(), 'lifeboat-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: ARGS,
        javaScriptEnabled: true,
        viewport: { width: 1200, height: 900 },
      });
    }, 60_000);

    afterAll(async () => {
      await context?.close();
      if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    });

    async function open(report: Report, name: string): Promise<{ page: Page; external: string[] }> {
      const file = join(dir, `${name}.html`);
      writeFileSync(file, renderHtml(report));
      if (context === undefined) throw new Error('Chromium did not start');
      const page = await context.newPage();
      const external: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith('file:') && !request.url().startsWith('data:'))
          external.push(request.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      return { page, external };
    }

    async function screenshot(page: Page, name: string): Promise<void> {
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    }

    it('draws a Gantt bar per state, the weights, lag and error rate, and RTO/RPO against target', async () => {
      const report = await runScenario('examples/scenarios/primary-outage.json');
      const { page, external } = await open(report, 'primary-outage');
      expect(await page.title()).toBe('Lifeboat simulation: primary-outage');
      const states = report.executions.reduce((n, e) => n + e.states.length, 0);
      expect(states).toBeGreaterThan(20);
      expect(await page.locator('#executions svg rect[data-state]').count()).toBe(states);
      // The Parallel branches' states sit on rows of their own, side by side in time.
      const promote = page.locator('#executions rect[data-state="PromoteDatabase"]').first();
      const scale = page.locator('#executions rect[data-state="ScaleNodeGroups"]').first();
      const [a, b] = [await promote.boundingBox(), await scale.boundingBox()];
      expect(a && b && Math.abs(a.x - b.x) < 2 && b.y > a.y).toBe(true);
      const apps = Object.keys(report.applications).length;
      for (const id of ['weights', 'lag', 'errors']) {
        expect(await page.locator(`#${id} svg.series`).count()).toBe(apps);
        expect(await page.locator(`#${id} svg.series polyline`).count()).toBeGreaterThan(0);
      }
      expect(await page.locator('#objectives tr.objective').count()).toBe(apps * 2);
      // ai-gateway-drill has automatic failover off and stays down past its target: its RTO is missed.
      expect(
        await page.locator('#objectives tr.objective.missed').first().getAttribute('data-objective'),
      ).toBe('ai-gateway-drill RTO');
      // No violation, but ai-gateway-drill (automatic failover off) missed its RTO: amber, naming it.
      expect(await page.locator('#violations.warn').isVisible()).toBe(true);
      expect(await page.locator('#violations ul.concerns li').allTextContents()).toEqual([
        expect.stringMatching(/^ai-gateway-drill missed its RTO target: /),
      ]);
      expect(await page.locator('line.violation-marker').count()).toBe(0);
      expect(external).toEqual([]);
      await screenshot(page, 'primary-outage');
      await page.close();
    }, 60_000);

    it('highlights every violation of a run that breaks an invariant', async () => {
      const report = await runScenario('examples/scenarios/primary-outage.json', { breakTraffic: true });
      expect(report.violations.length).toBeGreaterThan(0);
      const { page } = await open(report, 'violation');
      const items = page.locator('#violations.bad > ul:not(.concerns) > li');
      expect(await items.count()).toBe(report.violations.length);
      expect(await items.first().textContent()).toMatch(/^invariant 1 at [\d.]+ s/);
      const border = await page.evaluate<string>(
        "getComputedStyle(document.querySelector('#violations')).borderTopColor",
      );
      expect(border).toBe('rgb(192, 57, 43)');
      expect(await page.locator('#executions line.violation-marker').count()).toBe(report.violations.length);
      expect(await page.locator('#weights line.violation-marker').count()).toBeGreaterThan(0);
      await screenshot(page, 'violation');
      await page.close();
    }, 60_000);
  });
}
