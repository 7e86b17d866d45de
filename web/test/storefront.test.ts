import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Stack } from '@oip/order-service/dist/test/support';
import { request, waitFor } from '@oip/testkit';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { API_DOCUMENTS, typesOf } from '../tools/api-types';

/**
 * The storefront and the console in Debian's chromium (scripts/infra/chromium.sh), driven by
 * playwright-core, against the whole platform as real processes (the saga Stack); the gateway
 * serves the app built by `npm run build`. WEB_SCREENSHOTS=<dir> also saves the main pages at
 * desktop and phone width there (docs/screenshots is made that way).
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOTS = process.env['WEB_SCREENSHOTS'];
/** The pages the README shows. */
const SHOWN = new Set(['catalogue', 'product', 'cart', 'order', 'admin-stock', 'admin-orders', 'admin-dead-letters', 'admin-services']);
const UPSTREAM_TIMEOUT_MS = 2000;
const LIVE_MS = 30_000;
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

describe('web app in a real browser', () => {
  // A short upstream timeout, so that a stream outliving it proves the gateway does not cut it.
  // One retry, so a poison event is dead-lettered within a second.
  const stack = new Stack({ 'api-gateway': { UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) }, 'order-service': { RABBITMQ_MAX_RETRIES: '1' } });
  let browser: Browser;
  let base: string;
  const contexts: BrowserContext[] = [];
  const cspViolations: string[] = [];
  let mug: { id: string; name: string; price: string };
  let lamp: { id: string; name: string; price: string };
  /** Not in the first order, so nothing of it is held and its stock can go to 0. */
  let cup: { id: string; name: string; price: string };
  const shopper = { name: 'Web Shopper', email: `web-${randomUUID().slice(0, 12)}@example.test`, password: `pw-${randomUUID()}` };
  let shopperPage: Page;
  let adminPage: Page;
  let confirmedOrderId = '';

  async function open(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' && message.text().includes('Content Security Policy')) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => cspViolations.push(`page error: ${error.message}`));
    return page;
  }

  async function logIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('button', { name: /Log out/ }).waitFor();
  }

  /** axe-core finds nothing serious or critical, and nothing is wider than a 375 px phone. */
  async function check(page: Page, name: string): Promise<void> {
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
      const result = await axe.run(document, { resultTypes: ['violations'] });
      return result.violations.map(({ id, impact, help, nodes }) => ({ id, impact, help, nodes: nodes.slice(0, 3).map((node) => ({ target: node.target })) }));
    });
    const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
    assert.deepEqual(serious, [], `${name}: accessibility violations`);
    const shoot = SCREENSHOTS && SHOWN.has(name) ? SCREENSHOTS : undefined;
    const desktop = page.viewportSize();
    await page.setViewportSize({ width: 375, height: 812 });
    if (shoot) await page.screenshot({ path: path.join(shoot, `${name}-375.png`), fullPage: true });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `${name}: ${width} px wide at a 375 px viewport`);
    if (desktop) await page.setViewportSize(desktop);
    if (shoot) await page.screenshot({ path: path.join(shoot, `${name}-desktop.png`), fullPage: true });
  }

  async function addToCart(page: Page, product: { id: string; name: string }, quantity: number): Promise<void> {
    await page.goto(`${base}/products/${product.id}`);
    await page.getByRole('heading', { name: product.name }).waitFor();
    await page.getByLabel('Quantity').fill(String(quantity));
    await page.getByRole('button', { name: 'Add to cart' }).click();
    await page.getByText('Added.').waitFor();
  }

  /** Places the cart's order with a double click; resolves with the order id from the order page's URL. */
  async function placeOrder(page: Page): Promise<string> {
    await page.goto(`${base}/cart`);
    await page.getByRole('button', { name: 'Place order' }).dblclick();
    await page.waitForURL(/\/orders\/[0-9a-f-]{36}$/);
    return page.url().split('/').pop() ?? '';
  }

  const status = (page: Page, text: string) => page.locator('.order-status').filter({ hasText: text }).waitFor({ timeout: LIVE_MS });

  before(async () => {
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    await stack.start();
    base = stack.url('api-gateway');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
    const tag = randomUUID().slice(0, 6);
    [mug, lamp, cup] = await Promise.all([
      stack.product(10, { name: `Web mug ${tag}`, price: '6.25' }),
      stack.product(10, { name: `Web lamp ${tag}`, price: '24.90' }),
      stack.product(3, { name: `Web cup ${tag}`, price: '3.10' }),
    ]);
    shopperPage = await open();
    adminPage = await open();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await stack.stop();
  });

  it('When the gateway serves /, then it is the app under a strict CSP, hashed assets are cached for a year and client routes fall back to index.html', async () => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    const csp = index.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const html = await index.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(asset, 'index.html names a script under /assets');
    assert.equal((await fetch(`${base}${asset}`)).headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const route = await fetch(`${base}/orders/${randomUUID()}`, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    assert.equal(route.status, 200);
    assert.equal(await route.text(), html);
    // The gateway's own paths keep their meaning.
    assert.equal((await fetch(`${base}/api/orders`, { headers: { accept: 'text/html' } })).status, 401);
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
    assert.equal((await fetch(`${base}/assets/missing-00000000.js`)).status, 404);
    // A client that is not a browser asking for an unknown path still gets the problem+json 404.
    const unknown = await fetch(`${base}/no-such-page`, { headers: { accept: '*/*' } });
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('When the services are running, then the committed API types are what openapi-typescript makes of their documents', async () => {
    const stale: string[] = [];
    for (const name of API_DOCUMENTS) {
      const committed = readFileSync(path.resolve(__dirname, `../../src/api/generated/${name}.ts`), 'utf8');
      if (committed !== (await typesOf(base, name))) stale.push(name);
    }
    assert.deepEqual(stale, [], 'stale types: run `npm run api:types -w web` against a running gateway (npm start) and commit them');
  });

  it('When a login is refused, then the page shows the API\'s problem detail', async () => {
    const refused = await request<{ detail: string }>('POST', `${stack.api}/auth/login`, { body: { email: shopper.email, password: 'not-the-password' } });
    assert.equal(refused.status, 401);
    await shopperPage.goto(`${base}/login`);
    await check(shopperPage, 'login');
    await shopperPage.getByLabel('E-mail').fill(shopper.email);
    await shopperPage.getByLabel('Password').fill('not-the-password');
    await shopperPage.getByRole('button', { name: 'Log in' }).click();
    await shopperPage.getByRole('alert').filter({ hasText: refused.body.detail }).waitFor();
    // Checked before sending: a malformed address never reaches the API.
    await shopperPage.getByLabel('E-mail').fill('not-an-address');
    await shopperPage.getByRole('button', { name: 'Log in' }).click();
    await shopperPage.getByRole('alert').filter({ hasText: 'valid e-mail' }).waitFor();
  });

  it('When a shopper signs up and orders two products with a double click, then one order is placed and CONFIRMED appears by itself', async () => {
    await shopperPage.goto(`${base}/signup`);
    await check(shopperPage, 'signup');
    await shopperPage.getByLabel('Name').fill(shopper.name);
    await shopperPage.getByLabel('E-mail').fill(shopper.email);
    await shopperPage.getByLabel('Password').fill(shopper.password);
    await shopperPage.getByRole('button', { name: 'Create account' }).click();
    await shopperPage.getByRole('button', { name: /Log out/ }).waitFor();

    await shopperPage.goto(`${base}/?q=${encodeURIComponent(mug.name)}`);
    await shopperPage.getByRole('link', { name: mug.name }).waitFor();
    await check(shopperPage, 'catalogue');
    await addToCart(shopperPage, mug, 2);
    await shopperPage.getByText('10 available').waitFor();
    await check(shopperPage, 'product');
    await addToCart(shopperPage, lamp, 1);
    await shopperPage.goto(`${base}/cart`);
    await check(shopperPage, 'cart');

    confirmedOrderId = await placeOrder(shopperPage);
    // The page is not reloaded: a marker set now must still be there when CONFIRMED shows.
    await shopperPage.evaluate(() => Object.assign(window, { stillTheSamePage: true }));
    await status(shopperPage, 'CONFIRMED');
    assert.equal(await shopperPage.evaluate(() => (window as unknown as { stillTheSamePage?: boolean }).stillTheSamePage), true);
    assert.equal(await shopperPage.locator('.order-status').getAttribute('data-watch'), 'live', 'the change came over server-sent events');
    await check(shopperPage, 'order');

    const { rows } = await stack.db.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE customer_email = $1', [shopper.email]);
    assert.equal(Number(rows[0]?.n), 1, 'the double click placed one order');
    const order = await stack.order(confirmedOrderId);
    assert.deepEqual(order.items.map((line) => [line.productId, line.quantity]).sort(), [[mug.id, 2], [lamp.id, 1]].sort());
  });

  it('When an operator sets a stock to 0 in the console, then the shopper\'s next order shows REJECTED with the short line (polling when the stream is blocked)', async () => {
    await logIn(adminPage, stack.admin.email, stack.admin.password);
    await adminPage.goto(`${base}/admin/stock?product=${cup.id}`);
    const row = adminPage.locator(`tr[data-product="${cup.id}"]`);
    await row.waitFor();
    await check(adminPage, 'admin-stock');
    await row.getByLabel(`On hand for ${cup.name}`).fill('0');
    await row.getByRole('button', { name: `Set on hand for ${cup.name}` }).click();
    await row.locator('td').nth(1).filter({ hasText: /^0$/ }).waitFor();
    assert.equal((await stack.stock(cup.id)).onHand, 0);

    // This time without the event stream (a proxy that drops it, say): the page falls back to polling.
    await shopperPage.route('**/events', (route) => route.abort());
    await addToCart(shopperPage, cup, 1);
    await placeOrder(shopperPage);
    await status(shopperPage, 'REJECTED');
    assert.equal(await shopperPage.locator('.order-status').getAttribute('data-watch'), 'polling');
    await shopperPage.unroute('**/events');
    await shopperPage.locator('.short-line').filter({ hasText: `${cup.name}: 1 requested, 0 available` }).waitFor();
  });

  it('When the operator ships the order, then the shopper\'s open order page shows SHIPPED over a stream quieter than the gateway\'s timeout', async () => {
    // The stream an order page holds, opened now and quiet for longer than UPSTREAM_TIMEOUT_MS.
    const token = await stack.login(shopper.email, shopper.password);
    const controller = new AbortController();
    const stream = await fetch(`${stack.api}/orders/${confirmedOrderId}/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events: string[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) events.push(decoder.decode(chunk));
    })();
    await waitFor(() => (events.join('').includes('"CONFIRMED"') ? true : undefined), 10_000);
    await shopperPage.goto(`${base}/orders/${confirmedOrderId}`);
    await status(shopperPage, 'CONFIRMED');
    await delay(UPSTREAM_TIMEOUT_MS + 500);

    await adminPage.goto(`${base}/admin/orders?status=CONFIRMED`);
    const row = adminPage.locator(`tr[data-order="${confirmedOrderId}"]`);
    await row.waitFor();
    await check(adminPage, 'admin-orders');
    await row.getByRole('button', { name: /^Ship/ }).click();
    await status(shopperPage, 'SHIPPED');
    await waitFor(() => (events.join('').includes('"SHIPPED"') ? true : undefined), 10_000);
    controller.abort();
    await reading.catch(() => undefined);
  });

  it('When order-service cannot record a reservation, then the operator sees the dead letter with its error, replays it after the fix, and the customer\'s page shows CONFIRMED', async () => {
    const customer = await stack.customer();
    const page = await open();
    await logIn(page, customer.email, customer.password);
    // Every change to this customer's orders fails in PostgreSQL until the trigger is dropped.
    const trigger = `web_test_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await stack.db.query(`CREATE OR REPLACE FUNCTION web_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'order % is frozen by the web test', OLD.id; END $$`);
    await stack.db.query(`CREATE TRIGGER ${trigger} BEFORE UPDATE ON orders FOR EACH ROW WHEN (OLD.customer_id = '${customer.id}') EXECUTE FUNCTION web_test_refuse()`);
    try {
      const placed = await stack.placeOrder(customer.token, [{ productId: mug.id, quantity: 1 }]);
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      await page.goto(`${base}/orders/${placed.body.id}`);
      await status(page, 'PENDING');
      type Listing = { items: Array<{ service: string; messageId: string; event: { subject?: string } | string }> };
      const dead = await waitFor(async () => {
        const answer = await request<Listing>('GET', `${stack.api}/admin/dead-letters?limit=500`, { token: stack.admin.token });
        return answer.body.items.find((item) => item.service === 'order-service' && typeof item.event === 'object' && item.event.subject === placed.body.id);
      }, 20_000, 200);

      await adminPage.goto(`${base}/admin/dead-letters`);
      const item = adminPage.locator(`li[data-message="${dead.messageId}"]`);
      await item.filter({ hasText: 'is frozen by the web test' }).waitFor();
      await stack.db.query(`DROP TRIGGER ${trigger} ON orders`);
      await item.getByRole('button', { name: /^Replay/ }).click();
      await item.waitFor({ state: 'detached' });
      await status(page, 'CONFIRMED');
    } finally {
      await stack.db.query(`DROP TRIGGER IF EXISTS ${trigger} ON orders`);
    }
  });

  it('When someone else asks for an order\'s events, then the answer is a 403 problem, not a stream', async () => {
    const other = await stack.customer();
    const answer = await request<{ code: string }>('GET', `${stack.api}/orders/${confirmedOrderId}/events`, { token: other.token });
    assert.equal(answer.status, 403);
  });

  it('When a non-admin opens an operator page, then the console is not shown and the API refuses too', async () => {
    await shopperPage.goto(`${base}/admin/products`);
    await shopperPage.getByRole('alert').filter({ hasText: 'for operators' }).waitFor();
    assert.equal(await shopperPage.getByRole('button', { name: 'Create product' }).count(), 0);
    const token = await stack.login(shopper.email, shopper.password);
    for (const url of [`${stack.api}/users`, `${stack.api}/admin/dead-letters`, `${stack.api}/console/links`, `${base}/registry`]) {
      const answer = await request('GET', url, { token, headers: { accept: 'application/json' } });
      assert.equal(answer.status, 403, url);
    }
  });

  it('When the remaining pages are opened, then each passes the accessibility and phone-width checks and no CSP violation was reported', async () => {
    // Names come from users: a long unbroken one must wrap, not widen the page past 375 px.
    const longName = `Unbroken${'x'.repeat(150)}`;
    const long = await stack.product(1, { name: longName });
    for (const [page, url, name, ready] of [
      [shopperPage, `/products/${long.id}`, 'product-long-name', longName.slice(0, 30)],
      [shopperPage, '/orders', 'my-orders', 'My orders'],
      [shopperPage, '/notifications', 'notifications', 'My notifications'],
      [adminPage, '/admin/products', 'admin-products', 'New product'],
      [adminPage, '/admin/users', 'admin-users', 'Roles'],
      [adminPage, '/admin/dead-letters', 'admin-dead-letters', 'order-service'],
      [adminPage, '/admin/services', 'admin-services', 'Infrastructure'],
    ] as const) {
      await page.goto(`${base}${url}`);
      await page.getByText(ready).first().waitFor();
      await page.locator('[role=status]').first().waitFor({ state: 'detached' }).catch(() => undefined);
      await check(page, name);
    }
    assert.deepEqual(cspViolations, []);
  });

  it('When the shopper cancels an order from My orders, then it is CANCELLED', async () => {
    await addToCart(shopperPage, lamp, 1);
    const id = await placeOrder(shopperPage);
    await status(shopperPage, 'CONFIRMED');
    await shopperPage.getByRole('link', { name: 'My orders' }).click();
    await shopperPage.getByRole('button', { name: `Cancel order ${id.slice(0, 8)}` }).click();
    await shopperPage.locator('li').filter({ hasText: `Order ${id.slice(0, 8)}` }).filter({ hasText: 'CANCELLED' }).waitFor();
    assert.equal((await stack.order(id)).status, 'CANCELLED');
  });

  it('When an account is deactivated while its page is open, then the next call refreshes once, is refused, and the page goes to login', async () => {
    const customer = await stack.customer();
    const page = await open();
    await logIn(page, customer.email, customer.password);
    await page.getByRole('link', { name: 'My orders' }).click();
    await page.getByText('No orders yet.').waitFor();
    const refreshes: string[] = [];
    page.on('request', (sent) => {
      if (sent.url().endsWith('/api/auth/refresh')) refreshes.push(sent.url());
    });
    const deactivated = await request('POST', `${stack.api}/users/${customer.id}/deactivate`, { token: stack.admin.token });
    assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));
    // Revocation reaches the gateway as an event: wait until a token issued before it is refused.
    await waitFor(async () => ((await request('GET', `${stack.api}/users/me`, { token: customer.token })).status === 401 ? true : undefined), 20_000, 100);

    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.waitForURL(/\/login\?next=%2Fnotifications$/);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    assert.equal(refreshes.length, 1, 'one refresh, then the login page');
  });

  it('When the shopper logs out, then the refresh token the tab held is revoked', async () => {
    const refreshToken = await shopperPage.evaluate(() => sessionStorage.getItem('oip.refreshToken'));
    assert.ok(refreshToken, 'the tab keeps its refresh token in sessionStorage');
    await shopperPage.getByRole('button', { name: /Log out/ }).click();
    await shopperPage.getByRole('link', { name: 'Log in' }).waitFor();
    assert.equal(await shopperPage.evaluate(() => sessionStorage.getItem('oip.refreshToken')), null);
    const refreshed = await request('POST', `${stack.api}/auth/refresh`, { body: { refreshToken } });
    assert.equal(refreshed.status, 401);
  });
});
