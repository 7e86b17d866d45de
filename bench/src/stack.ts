import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** The running stack (npm start), as a benchmark client sees it: through the gateway. */
export const gatewayUrl = process.env['BENCH_GATEWAY_URL'] ?? `http://127.0.0.1:${process.env['GATEWAY_PORT'] ?? '3000'}`;
export const productServiceUrl = process.env['PRODUCT_SERVICE_URL'] ?? 'http://127.0.0.1:3002';
export const services = ['api-gateway', 'user-service', 'product-service', 'order-service', 'inventory-service', 'notification-service'] as const;

export async function call<T = Record<string, unknown>>(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers['authorization'] = `Bearer ${token}`;
  const answer = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.text();
  return { status: answer.status, body: (text ? JSON.parse(text) : {}) as T };
}

export async function assertStackReady(): Promise<void> {
  const answer = await fetch(`${gatewayUrl}/health/ready`).catch(() => undefined);
  if (!answer?.ok) throw new Error(`the stack is not ready at ${gatewayUrl}: start it with "npm start" (KEEP_INFRA=1 is fine) and run again`);
}

/**
 * A setup call asked again while the answer is 503 or 504: on a loaded shared machine a pool
 * connection or a bcrypt hash can time out, and the run should measure, not stop at its setup.
 */
async function setupCall<T>(method: string, url: string, body: unknown): Promise<{ status: number; body: T }> {
  let answer = await call<T>(method, url, body);
  for (let retry = 0; (answer.status === 503 || answer.status === 504) && retry < 5; retry += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    answer = await call<T>(method, url, body);
  }
  return answer;
}

export async function login(email: string, password: string): Promise<string> {
  const answer = await setupCall<{ accessToken: string }>('POST', `${gatewayUrl}/api/auth/login`, { email, password });
  if (answer.status !== 200) throw new Error(`login of ${email} failed with ${answer.status}`);
  return answer.body.accessToken;
}

export async function adminToken(): Promise<string> {
  return login(process.env['ADMIN_EMAIL'] ?? 'admin@example.com', process.env['ADMIN_PASSWORD'] ?? 'ChangeMe-Admin-123');
}

/** Registers and logs in `count` fresh users, a few at a time (bcrypt is deliberately slow). */
export async function freshUsers(count: number): Promise<Array<{ id: string; token: string }>> {
  const users: Array<{ id: string; token: string }> = [];
  for (let start = 0; start < count; start += 8) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(8, count - start) }, async () => {
        const email = `bench-${randomUUID()}@example.com`;
        const password = 'bench-password-1';
        const registered = await setupCall<{ id: string }>('POST', `${gatewayUrl}/api/auth/register`, { email, password, name: 'Bench User' });
        if (registered.status !== 201) throw new Error(`register failed with ${registered.status}`);
        return { id: registered.body.id, token: await login(email, password) };
      }),
    );
    users.push(...batch);
  }
  return users;
}

/** A product with `stock` units on hand, created through the gateway as an admin would. */
export async function productWithStock(admin: string, stock: number, price = '9.90'): Promise<string> {
  const created = await call<{ id: string }>('POST', `${gatewayUrl}/api/products`, { name: `Bench item ${randomUUID().slice(0, 8)}`, price, sku: `BENCH-${randomUUID()}` }, admin);
  if (created.status !== 201) throw new Error(`product create failed with ${created.status}`);
  const productId = created.body.id;
  // The stock record appears when inventory-service has consumed product_created.
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const set = await call('PUT', `${gatewayUrl}/api/inventory/${productId}/quantity`, { quantity: stock }, admin);
    if (set.status === 200) return productId;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`stock record for ${productId} never appeared`);
}

/** Resident set size of each running service process, found by its working directory. */
export function serviceRss(): Record<string, number> {
  const result: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes('dist/src/main.js')) continue;
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      const name = services.find((service) => cmdline.includes(`${service}/dist`) || path.basename(cwd) === service);
      if (name && match?.[1]) result[name] = Math.round(Number(match[1]) / 1024);
    } catch {
      // the process ended while we looked
    }
  }
  return result;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/**
 * Waits until no event is waiting in any RabbitMQ queue (two looks in a row), so a phase does not
 * start while the saga still works through the previous phase's orders. Answers how long it took.
 */
export async function waitForSagaIdle(timeoutMs = 180_000): Promise<number> {
  const port = process.env['RABBITMQ_MANAGEMENT_PORT'] ?? '15672';
  const auth = Buffer.from(`${process.env['RABBITMQ_USER'] ?? 'app'}:${process.env['RABBITMQ_PASSWORD'] ?? 'app'}`).toString('base64');
  const started = Date.now();
  let quietLooks = 0;
  while (Date.now() - started < timeoutMs) {
    const answer = await fetch(`http://127.0.0.1:${port}/api/queues?columns=name,messages`, { headers: { authorization: `Basic ${auth}` } });
    if (!answer.ok) throw new Error(`RabbitMQ management answered ${answer.status}`);
    const queues = (await answer.json()) as Array<{ name: string; messages?: number }>;
    // Dead-letter queues keep what they hold; they are not work in progress.
    const waiting = queues.filter((queue) => !queue.name.endsWith('.dlq')).reduce((sum, queue) => sum + (queue.messages ?? 0), 0);
    quietLooks = waiting === 0 ? quietLooks + 1 : 0;
    if (quietLooks >= 2) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the saga did not become idle within ${timeoutMs} ms`);
}
