import { closedLoop, openLoop, type LoadResult } from './load';
import { measureCpu, type CpuCost } from './process-cpu';
import { call, gatewayUrl, percentile, productWithStock, waitForSagaIdle } from './stack';

interface Order {
  id: string;
  status: string;
  createdAt?: string;
  updatedAt?: string;
}

const final = new Set(['CONFIRMED', 'REJECTED']);

/** How many orders (of anyone) are still PENDING: one cheap admin query, so waiting does not load the saga. */
async function pendingCount(admin: string): Promise<number> {
  const answer = await call<{ total: number }>('GET', `${gatewayUrl}/api/orders?status=PENDING&limit=1`, undefined, admin);
  // Shed (503) or timed out (504) under load: not known yet, so keep waiting.
  if (answer.status >= 500) return Number.POSITIVE_INFINITY;
  if (answer.status !== 200) throw new Error(`listing pending orders answered ${answer.status}`);
  return answer.body.total;
}

/** Waits until no order is PENDING; answers how long that took (or the timeout). */
export async function waitForNoPending(admin: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs && (await pendingCount(admin)) > 0) await new Promise((resolve) => setTimeout(resolve, 100));
  return Date.now() - started;
}

/**
 * Once the saga has answered every order (or the timeout passed), reads each order once and takes
 * its POST-to-answer time from the server's own timestamps (`updatedAt − createdAt`): polling
 * every order while the saga works would compete with it for the CPU.
 */
async function timesToFinal(admin: string, orders: Array<{ id: string; index: number }>, token: (index: number) => string, timeoutMs: number): Promise<{ confirmed: number; rejected: number; pending: number; ms: number[] }> {
  await waitForNoPending(admin, timeoutMs);
  const ms: number[] = [];
  let confirmed = 0;
  let rejected = 0;
  let pending = 0;
  for (let start = 0; start < orders.length; start += 16) {
    await Promise.all(
      orders.slice(start, start + 16).map(async (order) => {
        let answer = await call<Order>('GET', `${gatewayUrl}/api/orders/${order.id}`, undefined, token(order.index));
        // A read refused under load (503 shed, 504) is asked again: only the order's status counts.
        for (let retry = 0; answer.status !== 200 && retry < 5; retry += 1) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          answer = await call<Order>('GET', `${gatewayUrl}/api/orders/${order.id}`, undefined, token(order.index));
        }
        if (!final.has(answer.body.status)) {
          pending += 1;
          return;
        }
        if (answer.body.status === 'CONFIRMED') confirmed += 1;
        else rejected += 1;
        if (answer.body.createdAt && answer.body.updatedAt) ms.push(Date.parse(answer.body.updatedAt) - Date.parse(answer.body.createdAt));
      }),
    );
  }
  return { confirmed, rejected, pending, ms: ms.sort((a, b) => a - b) };
}

/**
 * Many authenticated users ordering well-stocked products as fast as they can (closed loop), then
 * how long the saga needed to answer all of them: accepted ÷ that time is the end-to-end rate.
 */
export async function orderThroughput(
  admin: string,
  users: Array<{ token: string }>,
  durationMs: number,
  concurrency: number,
): Promise<LoadResult & { msUntilAllAnswered: number; endToEndPerSecond: number; cpuPerOrder: CpuCost }> {
  const products = await Promise.all(Array.from({ length: 10 }, () => productWithStock(admin, 1_000_000)));
  const started = Date.now();
  let msUntilAllAnswered = 0;
  // The whole saga's CPU per accepted order: the POSTs, then everything until every queue is empty
  // again (stock answers, confirmations, notifications and their e-mails).
  const { result: load, cpu: cpuPerOrder } = await measureCpu(
    async () => {
      const posted = await closedLoop(
        async (worker, sequence) => {
          const user = users[worker % users.length];
          const productId = products[sequence % products.length];
          return (await call('POST', `${gatewayUrl}/api/orders`, { items: [{ productId, quantity: 1 }] }, user?.token)).status;
        },
        { concurrency, durationMs, okStatus: 201 },
      );
      await waitForNoPending(admin, 300_000);
      msUntilAllAnswered = Date.now() - started;
      await waitForSagaIdle();
      return posted;
    },
    (posted) => posted.ok,
  );
  return { ...load, msUntilAllAnswered, endToEndPerSecond: Math.round((load.ok / (msUntilAllAnswered / 1000)) * 10) / 10, cpuPerOrder };
}

/** Orders at a fixed rate, then the time each took from POST to CONFIRMED. */
export async function timeToConfirmed(admin: string, users: Array<{ token: string }>, ratePerSecond: number, durationMs: number) {
  const products = await Promise.all(Array.from({ length: 10 }, () => productWithStock(admin, 1_000_000)));
  const posted = await openLoop(
    async (sequence) => {
      const index = sequence % users.length;
      const answer = await call<Order>('POST', `${gatewayUrl}/api/orders`, { items: [{ productId: products[sequence % products.length], quantity: 1 }] }, users[index]?.token);
      return { id: answer.status === 201 ? answer.body.id : '', status: answer.status, index };
    },
    { ratePerSecond, durationMs },
  );
  const accepted = posted.filter((order) => order.id);
  const result = await timesToFinal(admin, accepted, (index) => users[index]?.token ?? '', 120_000);
  // What trails the answers, mostly the e-mails: from the moment every order was seen answered until
  // every queue is empty. 0.5 s means empty already (two quiet looks); the management API's
  // statistics are refreshed every 5 s, which is as fine as this gets.
  const msQueuesBehind = await waitForSagaIdle();
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
    msQueuesBehind,
  };
}

/** Many buyers for a few units: the confirmed units must equal the stock exactly. */
export async function contention(admin: string, users: Array<{ token: string }>, stock: number, buyers: number) {
  const productId = await productWithStock(admin, stock);
  const orders = await Promise.all(
    Array.from({ length: buyers }, async (_, index) => {
      const answer = await call<Order>('POST', `${gatewayUrl}/api/orders`, { items: [{ productId, quantity: 1 }] }, users[index % users.length]?.token);
      return { id: answer.body.id, index: index % users.length };
    }),
  );
  const result = await timesToFinal(admin, orders, (index) => users[index]?.token ?? '', 120_000);
  const stockView = await call<{ onHand: number; reserved: number; available: number }>('GET', `${gatewayUrl}/api/inventory/${productId}`, undefined, admin);
  return { stock, buyers, confirmed: result.confirmed, rejected: result.rejected, stillPending: result.pending, exact: result.confirmed === stock, finalStock: stockView.body };
}

/**
 * CPU per order at a fixed rate below what the machine carries (open loop), until the saga has
 * answered every order and the queues are empty. In a closed loop the cost per order follows the
 * rate the machine happened to reach (a faster run fills the outbox relays' and grouped writes'
 * batches better); at a fixed rate both sides of a comparison batch alike, so what differs is
 * what they do.
 */
export async function cpuPerOrderAtRate(admin: string, users: Array<{ token: string }>, ratePerSecond: number, durationMs: number): Promise<{ accepted: number; cpu: CpuCost }> {
  const products = await Promise.all(Array.from({ length: 10 }, () => productWithStock(admin, 1_000_000)));
  await waitForSagaIdle();
  const { result: accepted, cpu } = await measureCpu(
    async () => {
      const statuses = await openLoop(
        async (sequence) =>
          (await call('POST', `${gatewayUrl}/api/orders`, { items: [{ productId: products[sequence % products.length], quantity: 1 }] }, users[sequence % users.length]?.token)).status,
        { ratePerSecond, durationMs },
      );
      await waitForNoPending(admin, 120_000);
      await waitForSagaIdle();
      return statuses.filter((status) => status === 201).length;
    },
    (count) => count,
  );
  return { accepted, cpu };
}
