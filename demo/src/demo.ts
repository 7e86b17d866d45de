import { randomUUID } from 'node:crypto';

/**
 * npm run demo: a first five minutes with the system, against a running stack (npm start).
 * Every request and answer is printed, so the output reads as a transcript of the API.
 */
const gateway = process.env['DEMO_GATEWAY_URL'] ?? `http://127.0.0.1:${process.env['GATEWAY_PORT'] ?? '3000'}`;
const dim = (text: string) => `\x1b[2m${text}\x1b[0m`;
const bold = (text: string) => `\x1b[1m${text}\x1b[0m`;

interface Answer<T> {
  status: number;
  body: T;
}

async function api<T = Record<string, unknown>>(method: string, path: string, options: { body?: unknown; token?: string; quiet?: boolean } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const answer = await fetch(`${gateway}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await answer.text();
  const body = (text ? JSON.parse(text) : {}) as T;
  if (!options.quiet) {
    console.log(`${bold(`${method} ${path}`)}${options.token ? dim('  (Bearer …)') : ''}`);
    if (options.body !== undefined) console.log(dim(JSON.stringify(options.body)));
    console.log(`→ ${answer.status} ${JSON.stringify(body, null, 2).split('\n').join('\n  ')}\n`);
  }
  return { status: answer.status, body };
}

function step(title: string): void {
  console.log(`\n\x1b[36m== ${title} ==\x1b[0m\n`);
}

async function waitForStatus(orderId: string, token: string, wanted: string[]): Promise<string> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const answer = await api<{ status: string }>('GET', `/api/orders/${orderId}`, { token, quiet: true });
    if (wanted.includes(answer.body.status)) return answer.body.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`order ${orderId} did not reach ${wanted.join('/')}`);
}

async function main(): Promise<void> {
  const ready = await fetch(`${gateway}/health/ready`).catch(() => undefined);
  if (!ready?.ok) throw new Error(`no ready stack at ${gateway}: run "npm start" first`);

  step('An admin signs in (created at start-up from ADMIN_EMAIL / ADMIN_PASSWORD)');
  const adminLogin = await api<{ accessToken: string }>('POST', '/api/auth/login', { body: { email: process.env['ADMIN_EMAIL'] ?? 'admin@example.com', password: process.env['ADMIN_PASSWORD'] ?? 'ChangeMe-Admin-123' } });
  if (adminLogin.status !== 200) throw new Error('the admin cannot log in: start the stack with ADMIN_EMAIL / ADMIN_PASSWORD set (npm start uses .env, else .env.example) and pass the same to the demo');
  const admin = adminLogin.body.accessToken;

  step('The admin creates a small catalogue; inventory-service learns of each product by event');
  const tag = randomUUID().slice(0, 6);
  const catalogue = [
    { name: 'Desk lamp', price: '24.90', sku: `LAMP-${tag}`, category: 'lighting', stock: 5 },
    { name: 'Notebook', price: '3.50', sku: `NOTE-${tag}`, category: 'paper', stock: 1 },
  ];
  const ids: string[] = [];
  for (const item of catalogue) {
    const { stock, ...product } = item;
    const created = await api<{ id: string }>('POST', '/api/products', { body: product, token: admin });
    ids.push(created.body.id);
    // The stock record appears once inventory-service has consumed product_created.
    for (let attempt = 0; attempt < 50; attempt += 1) {
      if ((await api('GET', `/api/inventory/${created.body.id}`, { token: admin, quiet: true })).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await api('PUT', `/api/inventory/${created.body.id}/quantity`, { body: { quantity: stock }, token: admin });
  }
  const [lamp, notebook] = ids as [string, string];

  step('A customer registers and logs in');
  const email = `ada-${tag}@example.com`;
  await api('POST', '/api/auth/register', { body: { email, password: 'correct-horse-battery', name: 'Ada' } });
  const customer = (await api<{ accessToken: string }>('POST', '/api/auth/login', { body: { email, password: 'correct-horse-battery' } })).body.accessToken;
  await api('GET', '/api/users/me', { token: customer });

  step('Anyone can browse the catalogue');
  await api('GET', `/api/products?category=lighting&limit=5`);

  step('The customer orders 2 lamps: PENDING at once, CONFIRMED when the inventory has reserved them');
  const order = await api<{ id: string }>('POST', '/api/orders', { body: { items: [{ productId: lamp, quantity: 2 }] }, token: customer });
  console.log(`… the order is ${await waitForStatus(order.body.id, customer, ['CONFIRMED', 'REJECTED'])}\n`);
  await api('GET', `/api/orders/${order.body.id}`, { token: customer });
  await api('GET', `/api/inventory/${lamp}`, { token: admin });

  step('An order for 3 notebooks when 1 is in stock is REJECTED, and nothing is reserved');
  const short = await api<{ id: string }>('POST', '/api/orders', { body: { items: [{ productId: notebook, quantity: 3 }] }, token: customer });
  console.log(`… the order is ${await waitForStatus(short.body.id, customer, ['CONFIRMED', 'REJECTED'])}\n`);
  await api('GET', `/api/inventory/${notebook}`, { token: admin });

  step('The customer was told at each step (stored notifications; e-mails in the SMTP catcher at :8025)');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await api('GET', '/api/notifications', { token: customer });

  console.log(`\nDone. Explore the rest at ${gateway}/docs`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
