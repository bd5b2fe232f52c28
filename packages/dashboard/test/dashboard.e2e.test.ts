/**
 * The dashboard in Debian's Chromium against real hubs, with data pushed through the hub's HTTP API:
 * live changes without a reload, search, filters, paging, the key prompt, the keyboard, a phone,
 * and a hub restart under an open page.
 */
import { rm } from 'node:fs/promises';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDashboardDir } from '../../hub/src/http/dashboard-assets.js';
import { startHttpReceiver } from '../../hub/src/testing/http-receiver.js';
import { startTestHub, TEST_ADMIN_KEY, type TestHub } from '../../hub/src/testing/test-hub.js';
import { launchChromium, requireChromium } from './browser.js';

/** The promise: a change on screen within 2 s of the hub committing it. */
const LIVE_MS = 2000;

const outcomes = (basepath: string, ok: number, failed: number) => {
  const timestamp = Date.now();
  return [
    ...Array.from({ length: ok }, (_, i) => ({
      basepath,
      statusCode: 200,
      durationMs: 5 + (i % 40),
      timestamp,
    })),
    ...Array.from({ length: failed }, () => ({ basepath, statusCode: 503, durationMs: 250, timestamp })),
  ];
};

const fleet = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    instanceId: `node-${String(i).padStart(3, '0')}`,
    service: `svc-${i % 4}`,
    appName: `app-${i % 2}`,
    hostName: `host-${i}.dc1`,
    ip: [`10.1.0.${i}`],
    version: `1.${i % 3}.0`,
    plugins: [{ name: 'flowcontrol', version: '2.1.0', extInfo: { rules: '3' } }],
    extInfo: { zone: `z${i % 2}` },
  }));

const chromiumThere = await requireChromium();

describe.skipIf(!chromiumThere)('the dashboard in Chromium', () => {
  let browser: Browser;
  const hubs: TestHub[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (findDashboardDir() === undefined)
      throw new Error('the dashboard is not built: run `npm run build` first');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all(hubs.map((hub) => hub.stop()));
  });

  async function hub(overrides: Parameters<typeof startTestHub>[0] = {}): Promise<TestHub> {
    const started = await startTestHub({ auth: { publicRead: true }, ...overrides });
    hubs.push(started);
    return started;
  }

  async function open(url: string, options: BrowserContextOptions = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        pageErrors.push(message.text());
    });
    await page.goto(url);
    return page;
  }

  /** Waits until the page's event stream is open, then marks the page so a reload would show. */
  async function whenLive(page: Page): Promise<void> {
    await page.locator('.live-live').waitFor({ timeout: 10_000 });
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
  }

  const notReloaded = (page: Page) =>
    page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);

  const pagerText = (page: Page) => page.locator('.pager span').textContent();

  /** Waits until the table shows exactly these instances (ids of the rows, in order). */
  const rowsAre = (page: Page, ids: string[]) =>
    page.waitForFunction(
      (expected) =>
        [...document.querySelectorAll('tbody tr')].map((row) => row.getAttribute('data-instance')).join() ===
        expected.join(),
      ids,
    );

  it('shows an API going DOWN, then UP, live', async () => {
    const { url, api } = await hub();
    expect((await api('POST', '/v1/observations', { body: outcomes('/e2e/pay/v1', 10, 0) })).status).toBe(
      200,
    );
    const page = await open(`${url}/apis`);
    const row = page.locator('tr[data-basepath="/e2e/pay/v1"]');
    await row.locator('.badge-up').waitFor();
    await whenLive(page);

    let sent = performance.now();
    await api('POST', '/v1/observations', { body: outcomes('/e2e/pay/v1', 0, 20) });
    await row.locator('.badge-down').waitFor({ timeout: LIVE_MS });
    const downAfter = performance.now() - sent;
    expect(await row.locator('td.num').first().textContent()).toBe('33.3 %');

    sent = performance.now();
    await api('POST', '/v1/observations', { body: outcomes('/e2e/pay/v1', 300, 0) });
    await row.locator('.badge-up').waitFor({ timeout: LIVE_MS });
    const upAfter = performance.now() - sent;
    expect(await notReloaded(page)).toBe(true);
    expect(downAfter).toBeLessThan(LIVE_MS);
    expect(upAfter).toBeLessThan(LIVE_MS);

    // The detail page tells the story: both changes on the timeline, the failures as evidence.
    await row.locator('a').click();
    await page.locator('h1', { hasText: '/e2e/pay/v1' }).waitFor();
    await page.locator('.events .event', { hasText: 'UP → DOWN' }).waitFor();
    await page.locator('.events .event', { hasText: 'DOWN → UP' }).waitFor();
    expect(await page.locator('table.data td.mono', { hasText: '503' }).count()).toBeGreaterThan(0);
    await page.context().close();
  });

  it('shows an instance going lost, then recovered, live', async () => {
    const { url, beat } = await hub({ instances: { validTime: 1000 } });
    const message = { instanceId: 'e2e-orders-1', service: 'orders', hostName: 'h1', version: '2.0.0' };
    // Beat until the page is open and live, so the test sees alive → lost → alive happen on screen.
    let beating = true;
    const pump = (async () => {
      while (beating) {
        await beat(message);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const page = await open(`${url}/instances`);
    const row = page.locator('tr[data-instance="e2e-orders-1"]');
    await row.locator('.badge-alive').waitFor();
    await whenLive(page);
    beating = false;
    await pump;

    await row.locator('.badge-lost').waitFor({ timeout: 1000 + LIVE_MS + 1000 });
    const sent = performance.now();
    await beat(message);
    await row.locator('.badge-alive').waitFor({ timeout: LIVE_MS });
    expect(performance.now() - sent).toBeLessThan(LIVE_MS);
    expect(await notReloaded(page)).toBe(true);

    await row.locator('a').click();
    await page.locator('.events .event', { hasText: 'instance.recovered' }).waitFor();
    await page.locator('.events .event', { hasText: 'instance.lost' }).waitFor();
    await page.context().close();
  });

  describe('with 120 instances and a few APIs', () => {
    let test: TestHub;
    beforeAll(async () => {
      test = await hub();
      expect((await test.beat(fleet(120))).status).toBe(200);
      for (const id of ['node-001', 'node-002', 'node-003'])
        expect((await test.api('DELETE', `/v1/instances/${id}`)).status).toBe(204);
      await test.api('POST', '/v1/observations', {
        body: [
          ...outcomes('/shop/orders/v1', 30, 0),
          ...outcomes('/shop/billing/v1', 5, 25),
          ...outcomes('/ops/metrics/v1', 40, 1),
        ],
      });
    });

    it('searches by host, IP, version and filters by state and service', async () => {
      const page = await open(`${test.url}/instances`);
      await page.locator('tbody tr').first().waitFor();
      expect(await pagerText(page)).toBe('1–50 of 120');
      const search = page.getByPlaceholder('Search service, host, IP, version…');

      await search.fill('host-17.dc1');
      await rowsAre(page, ['node-017']);
      expect(await pagerText(page)).toBe('1–1 of 1');

      await search.fill('10.1.0.42');
      await rowsAre(page, ['node-042']);

      await search.fill('1.2.0');
      await page.waitForFunction(() => document.querySelector('.pager span')?.textContent === '1–40 of 40');
      expect(page.url()).toContain('q=1.2.0'); // the filter is in the address, to share or come back to

      await search.fill('');
      await page.getByRole('button', { name: 'Stopped' }).click();
      await page.waitForFunction(() => document.querySelector('.pager span')?.textContent === '1–3 of 3');
      expect(await page.locator('tbody tr .badge-stopped').count()).toBe(3);

      await page.getByRole('button', { name: 'All', exact: true }).click();
      await page.locator('select').selectOption('svc-1');
      await page.waitForFunction(() => document.querySelector('.pager span')?.textContent === '1–30 of 30');

      // APIs: filter by status, search by basepath, sort.
      await page.getByRole('link', { name: 'APIs', exact: true }).click();
      await page.locator('tr[data-basepath]').first().waitFor();
      expect(await page.locator('tr[data-basepath]').first().getAttribute('data-basepath')).toBe(
        '/shop/billing/v1',
      );
      await page.getByRole('button', { name: 'Up', exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('tr[data-basepath]').length === 2);
      await page.getByPlaceholder('Search basepath or name…').fill('/ops');
      await page.waitForFunction(() => document.querySelectorAll('tr[data-basepath]').length === 1);
      expect(await page.locator('tr[data-basepath]').getAttribute('data-basepath')).toBe('/ops/metrics/v1');
      await page.getByRole('button', { name: 'All', exact: true }).click();
      await page.getByPlaceholder('Search basepath or name…').fill('');
      await page.getByRole('button', { name: 'Samples' }).click();
      await page.waitForFunction(
        () =>
          document.querySelector('tr[data-basepath]')?.getAttribute('data-basepath') === '/shop/billing/v1',
      );
      await page.getByRole('button', { name: 'Samples' }).click();
      await page.waitForFunction(
        () =>
          document.querySelector('tr[data-basepath]')?.getAttribute('data-basepath') === '/ops/metrics/v1',
      );
      await page.context().close();
    });

    it('filters the event log by kind and instance', async () => {
      const page = await open(`${test.url}/events`);
      await page.locator('.events .event').first().waitFor();
      await page.locator('select').selectOption('instance.stopped');
      await page.waitForFunction(() => document.querySelectorAll('.events .event').length === 3);
      const kinds = await page.locator('.events .event-kind').allTextContents();
      expect(new Set(kinds)).toEqual(new Set(['instance.stopped']));
      await page.locator('select').selectOption('');
      await page.getByPlaceholder('Instance id…').fill('node-002');
      await page.waitForFunction(() => document.querySelectorAll('.events .event').length === 2);
      expect(await page.locator('.events .event-kind').allTextContents()).toEqual([
        'instance.stopped',
        'instance.registered',
      ]);
      await page.context().close();
    });

    it('pages through the instances on the hub', async () => {
      // The hub's order (service, then id), read through its API.
      const all: string[] = (await test.api('GET', '/v1/instances?limit=1000')).body.items.map(
        (item: any) => item.instanceId,
      );
      const page = await open(`${test.url}/instances`);
      await rowsAre(page, all.slice(0, 50));
      const next = page.getByRole('button', { name: 'Next →' });
      const previous = page.getByRole('button', { name: '← Previous' });
      expect(await previous.isDisabled()).toBe(true);

      await next.click();
      await rowsAre(page, all.slice(50, 100));
      expect(await pagerText(page)).toBe('51–100 of 120');
      await next.click();
      await rowsAre(page, all.slice(100));
      expect(await pagerText(page)).toBe('101–120 of 120');
      expect(await next.isDisabled()).toBe(true);
      await previous.click();
      await rowsAre(page, all.slice(50, 100));
      await page.context().close();
    });

    it('can be used with the keyboard alone', async () => {
      const page = await open(`${test.url}/`);
      await page.locator('h1', { hasText: 'Overview' }).waitFor();
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
      // brand, Overview, APIs
      for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('APIs');
      await page.keyboard.press('Enter');
      await page.locator('h1', { hasText: 'APIs' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/apis');
      // Focus moved to the new page: its status filter comes next in the tab order; Space presses it.
      await page.locator('tr[data-basepath]').first().waitFor();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
      for (let i = 0; i < 2; i++) await page.keyboard.press('Tab');
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Down');
      await page.keyboard.press('Space');
      await page.waitForFunction(() => document.querySelectorAll('tr[data-basepath]').length === 1);
      const focusVisible = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(focusVisible).toBe('solid');
      await page.context().close();
    });

    it('follows the system: light, or dark', async () => {
      const luminance = async (scheme: 'light' | 'dark') => {
        const page = await open(`${test.url}/apis`, { colorScheme: scheme });
        await page.locator('tr[data-basepath]').first().waitFor();
        const [background, text] = await page.evaluate(() => {
          const rgb = (value: string) => value.match(/\d+/g)!.slice(0, 3).map(Number);
          return [
            rgb(getComputedStyle(document.body).backgroundColor),
            rgb(getComputedStyle(document.body).color),
          ];
        });
        await page.context().close();
        const l = (c: number[]) => (0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!) / 255;
        return { background: l(background), text: l(text) };
      };
      const light = await luminance('light');
      const dark = await luminance('dark');
      expect(light.background).toBeGreaterThan(0.9);
      expect(light.text).toBeLessThan(0.2);
      expect(dark.background).toBeLessThan(0.1);
      expect(dark.text).toBeGreaterThan(0.85);
    });

    it('fits a phone screen', async () => {
      const page = await open(`${test.url}/instances`, {
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      await page.locator('tbody tr').first().waitFor();
      // The page itself never scrolls sideways; wide tables scroll inside their frame.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.getByRole('link', { name: 'Overview' }).click();
      await page.locator('section[aria-label="APIs"]').waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.context().close();
    });
  });

  it('asks for a read key once, keeps it, and asks again when it is revoked', async () => {
    const { url, api, beat } = await hub({ auth: { publicRead: false } });
    const created = await api('POST', '/v1/keys', { body: { name: 'dashboard', scopes: ['read'] } });
    expect(created.status).toBe(201);
    const page = await open(`${url}/instances`);
    const input = page.getByLabel('Key', { exact: true });
    await input.waitFor();
    await input.fill('hb_wrong_key');
    await page.getByRole('button', { name: 'Open the dashboard' }).click();
    await page.getByText('The hub does not know this key').waitFor();

    await input.fill(created.body.key);
    await page.keyboard.press('Enter');
    await page.locator('h1', { hasText: 'Services and instances' }).waitFor();
    await page.locator('.live-live').waitFor({ timeout: 10_000 });

    await page.reload();
    await page.locator('h1', { hasText: 'Services and instances' }).waitFor();
    expect(await page.getByLabel('Key', { exact: true }).count()).toBe(0);

    expect((await api('DELETE', `/v1/keys/${created.body.id}`)).status).toBe(204);
    await beat({ instanceId: 'after-revoke', service: 'orders' }); // an event makes the page read again
    await page.getByLabel('Key', { exact: true }).waitFor({ timeout: 12_000 });
    // A reload forgets the refused key and asks again.
    await page.reload();
    await page.getByLabel('Key', { exact: true }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('heartbeat.readKey'))).toBeNull();
    await page.context().close();
  });

  it('works under a route prefix', async () => {
    const { url } = await hub({
      server: { port: 0, host: '127.0.0.1', routePrefix: '/eni/heartbeat' },
    });
    const page = await open(`${url}/instances`);
    const answer = await fetch(`${url}/eni/heartbeat/v1/instances/heartbeats`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_KEY}` },
      body: JSON.stringify({ instanceId: 'prefixed-1', service: 'orders' }),
    });
    expect(answer.status).toBe(200);
    await page.locator('tr[data-instance="prefixed-1"]').waitFor();
    await page.locator('.live-live').waitFor({ timeout: 10_000 });
    await page.context().close();
  });

  it('reconnects after the hub restarts, and shows what happened meanwhile', async () => {
    const first = await startTestHub({ auth: { publicRead: true } });
    const { port } = new URL(first.url);
    await first.beat({ instanceId: 'before-restart', service: 'orders' });
    const page = await open(`${first.url}/instances`);
    await page.locator('tr[data-instance="before-restart"]').waitFor();
    await whenLive(page);

    await first.hub.stop('restart under test'); // keeps the data directory for the next hub
    await page.locator('.live-offline').waitFor({ timeout: 10_000 });
    const second = await startTestHub({
      auth: { publicRead: true },
      data: first.dataDir,
      server: { port: Number(port), host: '127.0.0.1' },
    });
    hubs.push(second);
    try {
      await second.beat({ instanceId: 'after-restart', service: 'orders' });
      await page.locator('tr[data-instance="after-restart"]').waitFor({ timeout: 10_000 });
      await page.locator('.live-live').waitFor({ timeout: 10_000 });
      expect(await page.locator('tr[data-instance="before-restart"]').count()).toBe(1);
      expect(await notReloaded(page)).toBe(true);
    } finally {
      await page.context().close();
      await rm(first.dataDir, { recursive: true, force: true });
    }
  });

  it('shows the replicas, an open maintenance window and the notifiers, and sends a test notification', async () => {
    const receiver = await startHttpReceiver();
    try {
      const now = Date.now();
      const test = await startTestHub(
        { auth: { publicRead: false } },
        {
          yaml: `notifiers:
  - name: ops-hook
    webhook:
      url: ${receiver.url}/hook
maintenance:
  - name: db-migration
    start: ${new Date(now - 3_600_000).toISOString()}
    end: ${new Date(now + 3_600_000).toISOString()}
`,
        },
      );
      hubs.push(test);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      await context.addInitScript((key) => localStorage.setItem('heartbeat.readKey', key), TEST_ADMIN_KEY);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${test.url}/`);

      // SQLite: this hub alone, live and leader.
      const replica = page.locator('section[aria-label="Hub replicas"] tr[data-replica="single"]');
      await replica.waitFor();
      expect(await replica.textContent()).toContain('this replica');
      expect(await replica.locator('.badge-up').textContent()).toBe('live');
      expect(await replica.locator('.badge-leader').textContent()).toBe('leader');

      const window = page.locator(
        'section[aria-label="Maintenance windows"] [data-maintenance="db-migration"]',
      );
      await window.waitFor();
      expect(await window.textContent()).toContain('silenced');
      expect(await window.textContent()).toMatch(/db-migration every rule until in (59|60) min/);

      const notifications = page.locator('section[aria-label="Notifications"]');
      const notifier = notifications.locator('tr[data-notifier="ops-hook"]');
      await notifier.waitFor();
      expect(await notifier.textContent()).toContain('webhook');
      await notifications.getByText('none').waitFor(); // no failed delivery yet

      await notifier.getByRole('button', { name: 'Send test notification' }).click();
      await notifier.locator('.test-result .badge-up', { hasText: 'delivered' }).waitFor({ timeout: 10_000 });
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0]!.path).toBe('/hook');
      expect(receiver.requests[0]!.json).toMatchObject({ kind: 'test' });

      // A failing receiver: the outcome says so, and the delivery joins the failed list with its error.
      receiver.answer(500);
      await notifier.getByRole('button', { name: 'Send test notification' }).click();
      await notifier.locator('.test-result .badge-down', { hasText: 'failed' }).waitFor({ timeout: 10_000 });
      await notifications.locator('table.deliveries td.error', { hasText: 'HTTP 500' }).waitFor();
      await context.close();
    } finally {
      await receiver.close();
    }
  });

  it('threw no error in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
