import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { deterministicEventId } from '@oip/contracts';
import { queueStats, testInfra, tracesOf, traceSpans, waitFor, type TraceSpan } from '@oip/testkit';
import { Stack, type Account, type ServiceName } from './support';

/**
 * One order, one trace: every service exports its spans to a real Jaeger, and the trace the
 * gateway names in `x-trace-id` holds the whole saga — gateway, order-service, product-service,
 * the broker hops through inventory-service and back, and notification-service — with each span
 * under its cause.
 */
const SAGA_SERVICES = ['api-gateway', 'inventory-service', 'notification-service', 'order-service', 'product-service'];

describe('Tracing one order across HTTP and RabbitMQ', () => {
  // order-service at debug level, for its "event handled" lines.
  const stack = new Stack({ 'order-service': { LOG_LEVEL: 'debug' } }, { OTEL_EXPORTER_OTLP_ENDPOINT: testInfra().jaeger.otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '200' });
  let customer: Account;

  before(async () => {
    await stack.start();
    customer = await stack.customer();
  });
  after(() => stack.stop());

  const describeSpans = (spans: TraceSpan[]) => spans.map((span) => `${span.service} ${span.kind} ${span.name} ${span.spanId}<-${span.parentId ?? 'root'}`).join('\n');
  /** The messaging span of `kind` in `service` for the event type (routing key) it carried. */
  const hop = (spans: TraceSpan[], service: string, kind: 'producer' | 'consumer', eventType: string) =>
    spans.find((span) => span.service === service && span.kind === kind && JSON.stringify(span.tags).includes(eventType));

  it('When an order is placed through the gateway, then its trace holds the whole saga in causal order with no orphan span', async () => {
    const product = await stack.product(5);

    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    const traceId = placed.headers.get('x-trace-id');
    await stack.settled(placed.body.id, ['CONFIRMED']);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.match(traceId ?? '', /^[0-9a-f]{32}$/, 'the gateway names the trace');

    // Complete once notification-service has handled order_confirmed (the saga's last hop).
    let last: TraceSpan[] = [];
    await waitFor(async () => {
      last = await traceSpans(traceId as string);
      return hop(last, 'notification-service', 'consumer', 'order_confirmed') ? true : undefined;
    }, 20_000, 250).catch(() => assert.fail(`the trace never reached notification-service's order_confirmed:\n${describeSpans(last)}`));
    // Spans of the same trace still in flight (batches of 200 ms) settle before the structure is judged.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const trace = await traceSpans(traceId as string);
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const dump = describeSpans(trace);

    assert.deepEqual([...new Set(trace.map((span) => span.service))].filter((service) => SAGA_SERVICES.includes(service)).sort(), SAGA_SERVICES, dump);
    const roots = trace.filter((span) => span.parentId === undefined);
    assert.equal(roots.length, 1, `one root:\n${dump}`);
    assert.equal(roots[0]?.service, 'api-gateway', dump);
    const orphans = trace.filter((span) => span.parentId !== undefined && !byId.has(span.parentId));
    assert.deepEqual(orphans.map((span) => `${span.service} ${span.name}`), [], `no orphan span:\n${dump}`);
    // Causal order: nothing starts before its parent (one machine, one clock).
    for (const span of trace) {
      const parent = span.parentId ? byId.get(span.parentId) : undefined;
      if (parent) assert.ok(span.start >= parent.start, `${span.service} ${span.name} starts before its parent ${parent.service} ${parent.name}`);
    }
    // A request's span is named after its route, never its URL.
    const servers = trace.filter((span) => span.kind === 'server').map((span) => `${span.service} ${span.name}`);
    assert.ok(servers.includes('api-gateway POST /api/orders/*'), `the gateway's request span is named after the route it proxies:\n${dump}`);
    assert.ok(servers.includes('order-service POST /orders'), `order-service's request span is named after its route:\n${dump}`);
    assert.ok(servers.includes('product-service GET /products/:id'), `product-service's request span is named after its route:\n${dump}`);
    // The broker hops, each consumer under its producer's publish.
    const hops: Array<[string, string, string]> = [
      ['order-service', 'inventory-service', 'order_created'],
      ['inventory-service', 'order-service', 'stock_reserved'],
      ['order-service', 'notification-service', 'order_confirmed'],
    ];
    for (const [producer, consumer, type] of hops) {
      const published = hop(trace, producer, 'producer', type);
      const consumed = hop(trace, consumer, 'consumer', type);
      assert.ok(published, `${producer} publishes ${type}:\n${dump}`);
      assert.ok(consumed, `${consumer} consumes ${type}:\n${dump}`);
      assert.equal(consumed.parentId, published.spanId, `${consumer}'s ${type} continues ${producer}'s publish`);
      assert.ok(consumed.start >= published.start);
    }
    // The log lines of the work name the trace and the span they were written in.
    const logged = stack
      .process('order-service')
      .output()
      .split('\n')
      .filter((line) => line.includes(placed.body.id) || line.includes(traceId as string))
      .map((line) => JSON.parse(line) as { msg: string; trace_id?: string; span_id?: string })
      .filter((line) => line.msg === 'event handled');
    assert.ok(logged.length > 0, 'order-service logged the events of the order it handled');
    for (const line of logged) {
      assert.equal(line.trace_id, traceId);
      assert.ok(line.span_id && byId.has(line.span_id), `log line's span ${line.span_id} is in the trace`);
    }
    // The e-mail leaves inside the handling of order_confirmed.
    const smtp = trace.find((span) => span.service === 'notification-service' && span.name === 'smtp send');
    assert.ok(smtp, `notification-service's SMTP send is in the trace:\n${dump}`);
  });

  it('When inventory-service crashes holding order_created unacknowledged, then the redelivery after its restart continues the order trace', async () => {
    const product = await stack.product(5);
    const inventory = stack.process('inventory-service');
    // Frozen, it still takes the delivery into its socket buffer, but never acks it.
    process.kill(inventory.pid, 'SIGSTOP');
    let traceId: string | null = null;
    let orderId = '';
    try {
      const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      traceId = placed.headers.get('x-trace-id');
      orderId = placed.body.id;
      await waitFor(async () => ((await queueStats('inventory-service')).messagesUnacknowledged > 0 ? true : undefined), 20_000, 500);
    } finally {
      await inventory.kill();
    }
    await stack.startOne('inventory-service');
    await stack.settled(orderId, ['CONFIRMED']);

    let last: TraceSpan[] = [];
    await waitFor(async () => {
      last = await traceSpans(traceId as string);
      return hop(last, 'order-service', 'consumer', 'stock_reserved') ? true : undefined;
    }, 20_000, 250).catch(() => assert.fail(`the redelivered order_created did not continue the trace:\n${describeSpans(last)}`));
    const byId = new Map(last.map((span) => [span.spanId, span]));
    const published = hop(last, 'order-service', 'producer', 'order_created');
    const consumed = hop(last, 'inventory-service', 'consumer', 'order_created');
    assert.ok(published && consumed, describeSpans(last));
    assert.equal(consumed.parentId, published.spanId);
    assert.deepEqual(last.filter((span) => span.parentId !== undefined && !byId.has(span.parentId)).map((span) => span.name), [], 'no orphan span');
  });
});


/**
 * The other half of sampling: a trace the gateway decides not to record stays unrecorded in every
 * service it reaches. Each service here records anything that arrives without a parent (always on),
 * so a hop that loses the "not sampled" flag — or skips instrumentation without passing the context
 * on — leaves a trace of its own in Jaeger, found by the ids of this order's work (the order, its
 * product, its events). Other traces these services record (messages earlier suites left behind,
 * the pending-order sweeper's) name none of them.
 */
describe('Tracing an order the gateway does not sample', () => {
  const run = randomUUID().slice(0, 8);
  const SERVICES: ServiceName[] = ['user-service', 'product-service', 'inventory-service', 'order-service', 'notification-service', 'api-gateway'];
  const nameOf = (service: ServiceName) => `${service}-unsampled-${run}`;
  const overrides: Partial<Record<ServiceName, Record<string, string>>> = Object.fromEntries(
    SERVICES.map((service) => [service, { OTEL_SERVICE_NAME: nameOf(service), OTEL_TRACES_SAMPLER: 'parentbased_always_on' }]),
  );
  overrides['api-gateway'] = { ...overrides['api-gateway'], OTEL_TRACES_SAMPLER: 'parentbased_always_off' };
  const stack = new Stack(overrides, { OTEL_EXPORTER_OTLP_ENDPOINT: testInfra().jaeger.otlpEndpoint, OTEL_BSP_SCHEDULE_DELAY: '200' });
  let customer: Account;

  before(async () => {
    await stack.start();
    customer = await stack.customer();
  });
  after(() => stack.stop());

  it('When an order the gateway does not sample runs its whole saga, then no service records any span of it', async () => {
    const since = Date.now();
    const product = await stack.product(5);
    const placed = await stack.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const orderId = placed.body.id;
    const traceId = placed.headers.get('x-trace-id');
    await stack.settled(orderId, ['CONFIRMED']);
    await stack.waitForNotifications(customer, (items) => items.some((item) => item.orderId === orderId && item.type === 'order_confirmed'));
    // A request without a parent is recorded by these services: proof that their spans reach
    // Jaeger, so that "nothing of the order" below is not an export that never happens.
    const probe = `probe-${run}`;
    const isProbe = (trace: TraceSpan[]) => trace.some((span) => span.tags['user_agent.original'] === probe);
    const direct = await fetch(`${stack.url('product-service')}/products/${product.id}`, { headers: { 'user-agent': probe } });
    assert.equal(direct.status, 200);
    await waitFor(async () => ((await tracesOf(nameOf('product-service'), since)).some(isProbe) ? true : undefined), 20_000, 250)
      .catch(() => assert.fail('a parentless request to product-service was never recorded: the test cannot see what it looks for'));
    // Batches of 200 ms: whatever the saga recorded has reached Jaeger by now.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const ours = [orderId, product.id, ...['order_created', 'stock_reserved', 'order_confirmed'].map((type) => deterministicEventId(`${type}:${orderId}`))];
    const recorded: string[] = [];
    for (const service of SERVICES) {
      for (const trace of await tracesOf(nameOf(service), since)) {
        if (isProbe(trace)) continue;
        const text = JSON.stringify(trace);
        if (ours.some((id) => text.includes(id))) recorded.push(...trace.map((span) => `${span.service} ${span.kind} ${span.name}`));
      }
    }
    assert.deepEqual(recorded, [], 'spans of the unsampled order');
    assert.deepEqual(traceId ? await traceSpans(traceId) : [], [], 'the trace the gateway named holds nothing');
  });
});
