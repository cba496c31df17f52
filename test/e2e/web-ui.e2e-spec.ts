import { existsSync, mkdirSync, statSync } from 'fs';
import * as path from 'path';
import { Browser, BrowserContext, Page, chromium } from 'playwright-core';
import { StandaloneOrchestrator } from '@tributary/standalone';

// The web UI, end to end: a standalone orchestrator on the system clock serves the API and the
// UI; Debian's Chromium (driven by playwright-core) signs in, walks every page, clears a failed
// task instance and watches it rerun. A screenshot of each page lands in test-artifacts/screenshots.
jest.setTimeout(180_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');
/** How long the browser may wait for a page to show something (polling included). */
const UI_WAIT = 30_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('web UI (standalone, headless Chromium)', () => {
  let o: StandaloneOrchestrator;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let adminToken: string;
  const shots: string[] = [];
  const pageErrors: string[] = [];

  const call = async (method: string, url: string, body?: unknown, token = adminToken) => {
    const response = await fetch(`${o.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as Json };
  };

  /** Polls the API until `check` returns a value (never a fixed sleep as an assertion). */
  async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>): Promise<T> {
    const deadline = Date.now() + UI_WAIT;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${UI_WAIT}ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }

  async function shot(name: string, on: Page = page) {
    const file = path.join(SCREENSHOTS, `${name}.png`);
    // Toasts of earlier steps would cover the page: a screenshot shows the page itself.
    await on.evaluate("document.querySelectorAll('.toast').forEach((toast) => toast.remove())");
    await on.screenshot({ path: file, fullPage: true, animations: 'disabled' });
    shots.push(file);
  }

  function trackErrors(p: Page) {
    p.on('pageerror', (error) => pageErrors.push(String(error)));
    p.on('console', (message) => {
      // 4xx answers the UI shows in its banner are expected; scripts failing are not.
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
        pageErrors.push(message.text());
    });
  }

  const go = (p: Page, hash: string) => p.goto(`${o.url}/ui/${hash}`);
  const cell = (runId: string, taskId: string, state?: string) =>
    page.locator(
      `button.cell[data-run="${runId}"][data-task="${taskId}"]${state ? `[data-state="${state}"]` : ''}`,
    );

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `no Chromium at ${CHROMIUM}: run \`bash scripts/ensure-chromium.sh\` (installs Debian's chromium package), or set CHROMIUM_PATH`,
      );
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    o = await StandaloneOrchestrator.start({
      dagsDir: path.resolve(__dirname, '..', 'fixtures', 'web-ui'),
      dataDir: 'memory://',
      http: { host: '127.0.0.1', port: 0 },
      logLevels: false,
      pollIntervalMs: 100,
    });
    expect(o.adminToken).toMatch(/^trb_/);
    adminToken = o.adminToken as string;

    // A run whose `transform` fails on its first try (its conf says so).
    expect(
      await call('POST', '/api/v1/dags/etl_orders/runs', { runId: 'ui-fails', conf: { failFirst: true } }),
    ).toMatchObject({ status: 202 });
    await eventually('run ui-fails to fail', async () => {
      const run = await call('GET', '/api/v1/dags/etl_orders/runs/ui-fails');
      return run.body.state === 'failed';
    });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(UI_WAIT);
    page = await context.newPage();
    trackErrors(page);
  });

  afterAll(async () => {
    await browser?.close();
    await o?.stop();
  });

  it('serves the UI files publicly, with their content types and no path traversal', async () => {
    const root = await fetch(`${o.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/ui/');

    const index = await fetch(`${o.url}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toContain('<script src="/ui/app.js"');

    for (const [file, type] of [
      ['app.js', /^text\/javascript/],
      ['app.css', /^text\/css/],
      ['favicon.svg', /^image\/svg\+xml/],
    ] as const) {
      const response = await fetch(`${o.url}/ui/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(type);
    }

    for (const sneaky of [
      '/ui/%2e%2e/%2e%2e/package.json',
      '/ui/..%2f..%2fpackage.json',
      '/ui/.hidden',
      '/ui/nope.js',
    ]) {
      const response = await fetch(`${o.url}${sneaky}`);
      expect([sneaky, response.status]).toEqual([sneaky, 404]);
    }
  });

  it('signs in with the admin token and lists the DAGs with their schedule in words and next run', async () => {
    await page.goto(`${o.url}/`);
    await page.locator('#token').waitFor();
    expect(page.url()).toContain('/ui/#/login');
    await shot('login');

    await page.locator('#token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const row = page.locator('tr[data-dag="etl_orders"]');
    await row.waitFor();
    expect(await page.locator('#role').textContent()).toBe('admin');

    const dag = (await call('GET', '/api/v1/dags/etl_orders')).body;
    expect(dag.schedule).not.toContain('30 2 * * *');
    await row.locator('td.schedule', { hasText: dag.schedule }).waitFor();
    expect(await row.textContent()).toContain('America/Los_Angeles');
    expect(dag.nextRun).not.toBeNull();
    await row.locator('.when .rel', { hasText: /^in / }).waitFor();
    await page.locator('tr[data-dag="orders_report"] td.schedule', { hasText: /shop\.orders/ }).waitFor();
    await shot('dags');
  });

  it('opens the grid, clicks the failed cell and shows its tries and the log the task printed', async () => {
    await page.locator('a.dag-name', { hasText: 'etl_orders' }).click();
    await page.waitForURL(/#\/dags\/etl_orders$/);
    await cell('ui-fails', 'transform', 'failed').waitFor();
    await cell('ui-fails', 'load', 'upstream_failed').waitFor();
    await cell('ui-fails', 'extract', 'success').waitFor();
    await page.locator('.legend', { hasText: 'up_for_retry' }).first().waitFor();
    await shot('grid');

    await cell('ui-fails', 'transform').click();
    const panel = page.locator('#panel');
    await panel.locator('.try[data-try="1"][data-state="failed"]').waitFor();
    await panel
      .locator('.try-error', { hasText: 'transform failed: no currency rates for the day' })
      .waitFor();
    await panel.locator('pre.log', { hasText: 'transform: reading 42 orders (try 1)' }).waitFor();
    await panel.locator('pre.log', { hasText: 'transform: currency rates table is empty' }).waitFor();
    await shot('task-instance-log');
  });

  it('clears the failed task instance after a dry-run preview, and it reruns to success', async () => {
    const panel = page.locator('#panel');
    await panel.getByRole('button', { name: 'Clear', exact: true }).click();
    const preview = panel.locator('.clear-preview');
    await preview.locator('li[data-task="transform"]').waitFor();
    expect(
      await preview.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-task'))),
    ).toEqual(expect.arrayContaining(['transform', 'load', 'publish']));
    // Nothing was cleared by the preview.
    expect((await call('GET', '/api/v1/dags/etl_orders/runs/ui-fails')).body.state).toBe('failed');
    await shot('clear-preview');

    await panel.getByRole('button', { name: 'Confirm clear' }).click();
    await cell('ui-fails', 'transform', 'success').waitFor();
    await cell('ui-fails', 'publish', 'success').waitFor();
    await panel.locator('.try[data-try="2"][data-state="success"]').waitFor();
    await panel.locator('pre.log', { hasText: 'transform: converted 42 orders to USD' }).waitFor();
    await page.locator('a.run-bar[data-run="ui-fails"][data-state="success"]').waitFor();
    const run = (await call('GET', '/api/v1/dags/etl_orders/runs/ui-fails')).body;
    expect(run.state).toBe('success');
    expect(run.taskInstances.find((t: Json) => t.taskId === 'transform').tries).toHaveLength(2);
    await shot('grid-after-clear');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
  });

  it('triggers a run and pauses and unpauses the DAG from the UI', async () => {
    const manualRuns = async () =>
      (await call('GET', '/api/v1/dags/etl_orders/runs?runType=manual')).body.items as Json[];
    const before = (await manualRuns()).length;
    await page.getByRole('button', { name: 'Trigger', exact: true }).click();
    await page.locator('.toast', { hasText: 'Triggered' }).waitFor();
    const runs = await eventually('a new manual run', async () => {
      const now = await manualRuns();
      return now.length === before + 1 && now;
    });
    const fresh = runs.find((r: Json) => r.runId !== 'ui-fails');
    await page.locator(`a.run-bar[data-run="${fresh.runId}"]`).waitFor();

    const toggle = page.locator('.page-head label.switch');
    await toggle.click();
    await page.locator('.page-head input[role="switch"][data-paused="true"]').waitFor();
    await toggle.locator('.switch-label', { hasText: 'Paused' }).waitFor();
    expect((await call('GET', '/api/v1/dags/etl_orders')).body.isPaused).toBe(true);
    await shot('dag-paused');
    await toggle.click();
    await page.locator('.page-head input[role="switch"][data-paused="false"]').waitFor();
    expect((await call('GET', '/api/v1/dags/etl_orders')).body.isPaused).toBe(false);

    // A trigger the API rejects: the field errors show in the dialog, which stays open.
    await page.getByRole('button', { name: 'Trigger with config…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('textarea[name="conf"]').fill('{"rows": 10}');
    await dialog.locator('input[name="logicalDate"]').fill('tomorrow');
    await dialog.getByRole('button', { name: 'Trigger', exact: true }).click();
    await dialog.getByText('logicalDate must be an ISO 8601 instant', { exact: false }).waitFor();
    await shot('trigger-with-config-error');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('draws the graph of the DAG with the latest run’s states', async () => {
    await page.locator('.tabs a[data-tab="graph"]').click();
    await page.locator('svg.graph .g-node[data-task="publish"]').waitFor();
    expect(await page.locator('svg.graph .g-node[data-task]').count()).toBe(5);
    expect(await page.locator('svg.graph path.g-edge.dep').count()).toBe(4);
    // publish's outlet is drawn beside it.
    await page.locator('svg.graph .g-node[data-asset="shop.orders"]').waitFor();
    expect(await page.locator('svg.graph path.g-edge.outlet').count()).toBe(1);
    // The newest run is the one just triggered; it runs to success on its own.
    await page.locator('svg.graph .g-node[data-task="publish"][data-state="success"]').waitFor();
    await shot('graph');
  });

  it('shows a run: its state, conf, task instances with tries; clears its failed tasks after a preview', async () => {
    await go(page, '#/dags/etl_orders/runs/ui-fails');
    await page.locator('tr[data-task="transform"][data-state="success"]').waitFor();
    await page.locator('pre.json', { hasText: '"failFirst": true' }).waitFor();
    await page.locator('.page-head .state[data-state="success"]').waitFor();
    expect(await page.locator('tr[data-task="transform"] .swatch').count()).toBe(2);
    await page.locator('tr[data-task="transform"]').click();
    await page.locator('#panel .try[data-try="2"]').waitFor();
    await shot('run-detail');
    await page.keyboard.press('Escape');

    // The run-level action: clear every failed task instance (with its downstream) of a failed run.
    await call('POST', '/api/v1/dags/etl_orders/runs', { runId: 'ui-fails-2', conf: { failFirst: true } });
    await go(page, '#/dags/etl_orders/runs/ui-fails-2');
    await page.locator('tr[data-task="transform"][data-state="failed"]').waitFor();
    await page.getByRole('button', { name: 'Clear failed' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('li[data-task="publish"]').waitFor();
    expect(
      await dialog.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-task'))),
    ).toEqual(expect.arrayContaining(['transform', 'load', 'publish']));
    await shot('run-clear-failed');
    await dialog.getByRole('button', { name: 'Confirm clear' }).click();
    await page.locator('.page-head .state[data-state="success"]').waitFor();
    await page.locator('tr[data-task="publish"][data-state="success"]').waitFor();
  });

  it('shows the runs across DAGs, including the asset-triggered report', async () => {
    await go(page, '#/runs');
    await page.locator('tr[data-run]', { hasText: 'orders_report' }).first().waitFor();
    await shot('runs');
  });

  it('draws the asset lineage with each asset’s freshness status, and an asset’s events', async () => {
    await go(page, '#/assets');
    await page.locator('svg.graph .g-node[data-dag="etl_orders"]').waitFor();
    await page.locator('svg.graph .g-node[data-dag="orders_report"]').waitFor();
    await page.locator('svg.graph .g-node[data-asset="shop.orders"][data-freshness="fresh"]').waitFor();
    await page.locator('svg.graph .g-node[data-asset="mart.orders_report"][data-freshness="none"]').waitFor();
    await page.locator('tr[data-asset="shop.orders"] .state[data-freshness="fresh"]').waitFor();
    await page.locator('svg.graph .g-node[data-asset="shop.orders"]').click();
    await page.locator('#panel tr[data-event]').first().waitFor();
    expect(await page.locator('#panel').textContent()).toContain('etl_orders.publish');
    await shot('assets');
    await page.keyboard.press('Escape');
  });

  it('creates a small backfill from the UI and shows its progress', async () => {
    await go(page, '#/dags/etl_orders/backfills');
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    await page.locator('input[name="from"]').fill(day(4));
    await page.locator('input[name="to"]').fill(day(3));
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('.preview-list li').first().waitFor();
    expect(await page.locator('.preview-list li').count()).toBeGreaterThanOrEqual(2);
    await page.getByRole('button', { name: 'Create backfill' }).click();
    await page.locator('.toast', { hasText: /Backfill #\S+ created/ }).waitFor();
    const row = page.locator('tr[data-backfill]').first();
    await row.locator('[role="progressbar"]').waitFor();
    await page.locator('tr[data-backfill][data-state="completed"]').waitFor();
    expect(await row.locator('.progress-text').textContent()).toMatch(/^(\d+)\/\1 done/);
    await shot('dag-backfills');

    // A longer one, one run at a time: its progress shows while it runs, and an operator cancels it.
    await page.locator('input[name="from"]').fill(day(10));
    await page.locator('input[name="to"]').fill(day(5));
    await page.locator('input[name="maxActiveRuns"]').fill('1');
    await page.getByRole('button', { name: 'Create backfill' }).click();
    const running = page.locator('tr[data-backfill][data-state="running"]');
    await running.locator('.progress-text', { hasText: 'queued' }).waitFor();
    await shot('backfill-running');
    await running.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel backfill' }).click();
    await page.locator('tr[data-backfill][data-state="cancelled"]').waitFor();

    await go(page, '#/backfills');
    await page.locator('tr[data-backfill][data-state="completed"]', { hasText: 'etl_orders' }).waitFor();
    await page.locator('tr[data-backfill]').first().click();
    await page.locator('#panel table').waitFor();
    await shot('backfills');
  });

  it('shows API errors in a banner', async () => {
    await go(page, '#/dags/no_such_dag');
    await page.locator('#banner', { hasText: "no DAG 'no_such_dag'" }).waitFor();
    expect(await page.locator('#banner-title').textContent()).toBe('not_found');
    await page.locator('#app .empty', { hasText: "no DAG 'no_such_dag'" }).waitFor();
    await shot('error-banner');
  });

  it('hides operator actions from a viewer', async () => {
    const created = await call('POST', '/api/v1/tokens', { role: 'viewer', name: 'web-ui viewer' });
    expect(created.status).toBe(201);
    const viewer = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    viewer.setDefaultTimeout(UI_WAIT);
    const p = await viewer.newPage();
    trackErrors(p);
    await go(p, '#/dags/etl_orders');
    await p.locator('#token').fill(created.body.token);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.locator('button.cell[data-run="ui-fails"][data-task="transform"]').click();
    await p.locator('#panel .try[data-try="2"]').waitFor();
    expect(await p.locator('#role').textContent()).toBe('viewer');
    expect(await p.locator('#panel').getByRole('button', { name: 'Clear' }).count()).toBe(0);
    expect(await p.getByRole('button', { name: 'Trigger', exact: true }).count()).toBe(0);
    expect(await p.locator('.page-head input[role="switch"]').isDisabled()).toBe(true);
    await shot('viewer-task-instance', p);

    // A token that stops working sends the user back to the login page.
    await call('DELETE', `/api/v1/tokens/${created.body.tokenId}`);
    await go(p, '#/assets');
    await p.locator('#token').waitFor();
    await p.locator('.login', { hasText: 'Signed out' }).waitFor();
    await viewer.close();
  });

  it('saved a screenshot of every page, and no script failed', () => {
    expect(shots.length).toBeGreaterThanOrEqual(12);
    for (const file of shots) {
      expect([file, existsSync(file) && statSync(file).size > 1000]).toEqual([file, true]);
    }
    expect(pageErrors).toEqual([]);
  });
});
