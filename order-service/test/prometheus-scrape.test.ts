import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startPrometheus, waitFor, type TestPrometheus } from '@oip/testkit';
import { Stack } from './support';

/**
 * The repository's Prometheus configuration against the running platform: a real Prometheus finds
 * every instance through the gateway's /registry/targets and scrapes each one with the metrics
 * token, and the series the alert rules watch are there.
 */
describe('Prometheus scrapes every instance', () => {
  const metricsToken = `metrics-${randomUUID()}`;
  const stack = new Stack({}, { METRICS_TOKEN: metricsToken });
  let prometheus: TestPrometheus | undefined;

  before(async () => {
    await stack.start();
    prometheus = await startPrometheus({ gatewayUrl: stack.url('api-gateway'), metricsToken });
  });
  after(async () => {
    await prometheus?.stop();
    await stack.stop();
  });

  it('When Prometheus discovers the instances through the gateway, then each is up and its alert series are scraped', async () => {
    const targets = await fetch(`${stack.url('api-gateway')}/registry/targets`, { headers: { authorization: `Bearer ${metricsToken}` } });
    assert.equal(targets.status, 200);
    const groups = (await targets.json()) as Array<{ targets: string[]; labels: { service: string } }>;
    const expected = groups.flatMap((group) => group.targets.map((target) => `${group.labels.service} ${target}`)).sort();
    const running = [...stack.processes.values()].map((process) => `127.0.0.1:${process.port}`).sort();
    assert.deepEqual(expected.map((entry) => entry.split(' ')[1]).sort(), running, 'the registry lists every process of the stack');

    const server = prometheus as TestPrometheus;
    const up = await waitFor(async () => {
      const samples = await server.query('up{job="services"}');
      const seen = samples.filter((sample) => sample.value === 1).map((sample) => `${sample.metric['service']} ${sample.metric['instance']}`).sort();
      return seen.length === expected.length ? seen : undefined;
    }, 30_000, 500).catch((error: unknown) => assert.fail(`not every instance up: ${String(error)}\n${server.output()}`));
    assert.deepEqual(up, expected);

    // The series behind the alert rules, from the services that own them.
    const series = async (expression: string) => (await server.query(expression)).map((sample) => sample.metric['service']).sort();
    await waitFor(async () => ((await series('orders{status="PENDING"}')).length > 0 ? true : undefined), 10_000, 500);
    assert.deepEqual(await series('orders_oldest_pending_age_seconds'), ['order-service']);
    assert.deepEqual(await series('outbox_oldest_pending_age_seconds'), ['inventory-service', 'order-service', 'product-service', 'user-service']);
    assert.deepEqual(await series('dead_letter_queue_messages'), ['inventory-service', 'notification-service', 'order-service']);
  });
});
