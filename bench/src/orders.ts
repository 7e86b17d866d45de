import { closedLoop, openLoop, type LoadResult } from './load';
import { call, gatewayUrl, percentile, productWithStock } from './stack';

interface Order {
  id: string;
  status: string;
  createdAt?: string;
  updatedAt?: string;
}

const final = new Set(['CONFIRMED', 'REJECTED']);

/** Polls each order until the saga has answered; returns POST-to-final times measured by the client. */
async function timesToFinal(orders: Array<{ id: string; postedAt: number }>, token: (index: number) => string, timeoutMs: number): Promise<{ confirmed: number; rejected: number; pending: number; ms: number[] }> {
  const pending = new Map(orders.map((order, index) => [order.id, { ...order, index }]));
  const ms: number[] = [];
  let confirmed = 0;
  let rejected = 0;
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all(
      [...pending.values()].map(async (order) => {
        const answer = await call<Order>('GET', `${gatewayUrl}/api/orders/${order.id}`, undefined, token(order.index));
        if (!final.has(answer.body.status)) return;
        pending.delete(order.id);
        if (answer.body.status === 'CONFIRMED') confirmed += 1;
        else rejected += 1;
        // Server-side timestamps when present (no polling granularity), else the client's clock.
        const server = answer.body.createdAt && answer.body.updatedAt ? Date.parse(answer.body.updatedAt) - Date.parse(answer.body.createdAt) : undefined;
        ms.push(server ?? Date.now() - order.postedAt);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { confirmed, rejected, pending: pending.size, ms: ms.sort((a, b) => a - b) };
}

/** Many authenticated users ordering well-stocked products as fast as they can (closed loop). */
export async function orderThroughput(admin: string, users: Array<{ token: string }>, durationMs: number, concurrency: number): Promise<LoadResult> {
  const products = await Promise.all(Array.from({ length: 10 }, () => productWithStock(admin, 1_000_000)));
  return closedLoop(
    async (worker, sequence) => {
      const user = users[worker % users.length];
      const productId = products[sequence % products.length];
      return (await call('POST', `${gatewayUrl}/api/orders`, { items: [{ productId, quantity: 1 }] }, user?.token)).status;
    },
    { concurrency, durationMs, okStatus: 201 },
  );
}

/** Orders at a fixed rate, then the time each took from POST to CONFIRMED. */
export async function timeToConfirmed(admin: string, users: Array<{ token: string }>, ratePerSecond: number, durationMs: number) {
  const products = await Promise.all(Array.from({ length: 10 }, () => productWithStock(admin, 1_000_000)));
  const posted = await openLoop(
    async (sequence) => {
      const postedAt = Date.now();
      const index = sequence % users.length;
      const answer = await call<Order>('POST', `${gatewayUrl}/api/orders`, { items: [{ productId: products[sequence % products.length], quantity: 1 }] }, users[index]?.token);
      return { id: answer.status === 201 ? answer.body.id : '', status: answer.status, postedAt, index };
    },
    { ratePerSecond, durationMs },
  );
  const accepted = posted.filter((order) => order.id);
  const result = await timesToFinal(accepted, (index) => users[accepted[index]?.index ?? 0]?.token ?? '', 60_000);
  const statuses: Record<string, number> = {};
  for (const order of posted) statuses[String(order.status)] = (statuses[String(order.status)] ?? 0) + 1;
  return {
    ratePerSecond,
    statuses,
    posted: posted.length,
    accepted: accepted.length,
    confirmed: result.confirmed,
    rejected: result.rejected,
    stillPending: result.pending,
    msToFinal: { p50: percentile(result.ms, 50), p99: percentile(result.ms, 99), max: result.ms.at(-1) ?? Number.NaN },
  };
}

/** Many buyers for a few units: the confirmed units must equal the stock exactly. */
export async function contention(admin: string, users: Array<{ token: string }>, stock: number, buyers: number) {
  const productId = await productWithStock(admin, stock);
  const orders = await Promise.all(
    Array.from({ length: buyers }, async (_, index) => {
      const answer = await call<Order>('POST', `${gatewayUrl}/api/orders`, { items: [{ productId, quantity: 1 }] }, users[index % users.length]?.token);
      return { id: answer.body.id, postedAt: Date.now(), index: index % users.length };
    }),
  );
  const result = await timesToFinal(orders, (index) => users[orders[index]?.index ?? 0]?.token ?? '', 120_000);
  const stockView = await call<{ onHand: number; reserved: number; available: number }>('GET', `${gatewayUrl}/api/inventory/${productId}`, undefined, admin);
  return { stock, buyers, confirmed: result.confirmed, rejected: result.rejected, stillPending: result.pending, exact: result.confirmed === stock, finalStock: stockView.body };
}
