import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { canStopInfrastructure, request, testInfra, waitFor, type JsonResponse, type ServiceProcess } from '@oip/testkit';
import { Stack } from './support';

/**
 * A role change or a deactivation takes effect within seconds everywhere (docs/architecture.md, "Tokens and revocation"): the
 * gateway and every service instance refuse the subject's tokens issued before the change, and
 * user administration trusts the database rather than the token's roles. Whole platform, real
 * processes, tokens from the real user-service.
 */
const WITHIN_MS = Number(process.env['TEST_REVOCATION_WITHIN_MS'] ?? 10_000);
/** An id no product has: admin routes answer 404 for it once the token passes, 401 if it does not. */
const NO_PRODUCT = '6650c0ffee0000000000beef';
const NO_ORDER = '00000000-0000-4000-8000-000000000000';

type Call = { name: string; call: () => Promise<JsonResponse> };

/** Waits until every call answers 401; on timeout the error names what each answered last. */
async function refusedEverywhere(calls: Call[]): Promise<void> {
  await waitFor(async () => {
    const answers = await Promise.all(calls.map(async ({ name, call }) => `${name} ${(await call()).status}`));
    assert.ok(answers.every((answer) => answer.endsWith(' 401')), answers.join(', '));
    return true;
  }, WITHIN_MS, 100);
}

describe('Token revocation across the platform', () => {
  const stack = new Stack();

  before(() => stack.start());
  after(() => stack.stop());

  const setRoles = (token: string, id: string, roles: string[], base = stack.api) => request('PUT', `${base}/users/${id}/roles`, { token, body: { roles } });
  const deactivate = (id: string) => request('POST', `${stack.api}/users/${id}/deactivate`, { token: stack.admin.token });

  it('When admin A demotes admin B, then B cannot promote itself back and B\'s old token is refused at admin routes everywhere within seconds', async () => {
    const b = await stack.customer();
    assert.equal((await setRoles(stack.admin.token, b.id, ['admin', 'user'])).status, 200);
    const oldToken = await stack.login(b.email, b.password);
    assert.equal((await request('GET', `${stack.api}/users`, { token: oldToken })).status, 200, 'B is an admin before the demotion');

    const demoted = await setRoles(stack.admin.token, b.id, ['user']);
    const viaGateway = await setRoles(oldToken, b.id, ['admin', 'user']);
    const direct = await setRoles(oldToken, b.id, ['admin', 'user'], stack.url('user-service'));

    assert.equal(demoted.status, 200, JSON.stringify(demoted.body));
    assert.ok([401, 403].includes(viaGateway.status), `self-promotion through the gateway answered ${viaGateway.status}`);
    assert.ok([401, 403].includes(direct.status), `self-promotion at user-service answered ${direct.status}`);
    const fresh = await stack.login(b.email, b.password);
    const me = await request<{ roles: string[] }>('GET', `${stack.api}/users/me`, { token: fresh });
    assert.deepEqual(me.body.roles, ['user'], `B is still demoted, and a token issued right after the change works: ${me.status} ${JSON.stringify(me.body)}`);
    await refusedEverywhere([
      { name: 'gateway PUT /api/users/:id/roles', call: () => setRoles(oldToken, b.id, ['admin', 'user']) },
      { name: 'gateway POST /api/products', call: () => request('POST', `${stack.api}/products`, { token: oldToken, body: {} }) },
      { name: 'product-service POST /products', call: () => request('POST', `${stack.url('product-service')}/products`, { token: oldToken, body: {} }) },
      { name: 'inventory-service PUT quantity', call: () => request('PUT', `${stack.url('inventory-service')}/inventory/${NO_PRODUCT}/quantity`, { token: oldToken, body: { quantity: 1 } }) },
      { name: 'order-service PUT status', call: () => request('PUT', `${stack.url('order-service')}/orders/${NO_ORDER}/status`, { token: oldToken, body: { status: 'SHIPPED' } }) },
      { name: 'user-service GET /users', call: () => request('GET', `${stack.url('user-service')}/users`, { token: oldToken }) },
    ]);
  });

  it('When a user is deactivated, then their old token is refused within seconds at the gateway and at orders, notifications and inventory, also on their own ports', async () => {
    const customer = await stack.customer();
    assert.equal((await request('GET', `${stack.api}/orders`, { token: customer.token })).status, 200, 'the token works before');

    const answer = await deactivate(customer.id);

    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const { token } = customer;
    await refusedEverywhere([
      { name: 'gateway /api/orders', call: () => request('GET', `${stack.api}/orders`, { token }) },
      { name: 'gateway /api/notifications', call: () => request('GET', `${stack.api}/notifications`, { token }) },
      { name: 'gateway /api/inventory', call: () => request('GET', `${stack.api}/inventory`, { token }) },
      { name: 'order-service /orders', call: () => request('GET', `${stack.url('order-service')}/orders`, { token }) },
      { name: 'notification-service /notifications', call: () => request('GET', `${stack.url('notification-service')}/notifications`, { token }) },
      { name: 'inventory-service /inventory', call: () => request('GET', `${stack.url('inventory-service')}/inventory`, { token }) },
    ]);
  });

  it('When RabbitMQ is down, then a deactivation is still refused everywhere within seconds, and once it is back a new deactivation is refused too', { skip: !canStopInfrastructure() && 'infrastructure given by URLs cannot be stopped' }, async () => {
    const infra = testInfra();
    const during = await stack.customer();
    const afterwards = await stack.customer();
    const refusedAt = (token: string): Call[] => [
      { name: 'gateway /api/orders', call: () => request('GET', `${stack.api}/orders`, { token }) },
      { name: 'notification-service /notifications', call: () => request('GET', `${stack.url('notification-service')}/notifications`, { token }) },
      { name: 'inventory-service /inventory', call: () => request('GET', `${stack.url('inventory-service')}/inventory`, { token }) },
    ];

    try {
      await infra.stop('rabbitmq');
      assert.equal((await deactivate(during.id)).status, 200);
      // No event can go out: each process finds it in user-service's list, which it polls while unsubscribed.
      await refusedEverywhere(refusedAt(during.token));
    } finally {
      await infra.start('rabbitmq');
    }
    await Promise.all((['api-gateway', 'notification-service', 'inventory-service', 'user-service'] as const).map((service) => stack.ready(service, 60_000)));

    assert.equal((await deactivate(afterwards.id)).status, 200);
    await refusedEverywhere(refusedAt(afterwards.token));
  });

  describe('an instance started after the change', () => {
    const replicas: ServiceProcess[] = [];
    after(() => Promise.all(replicas.map((replica) => replica.stop())));

    it('When a service instance starts after a deactivation, then it refuses the old token from its first request', async () => {
      const customer = await stack.customer();
      assert.equal((await deactivate(customer.id)).status, 200);
      // The event has gone out (the running instances refuse): the new instance can only learn of it from the backfill.
      await refusedEverywhere([{ name: 'order-service', call: () => request('GET', `${stack.url('order-service')}/orders`, { token: customer.token }) }]);

      replicas.push(await stack.startReplica('inventory-service'), await stack.startReplica('order-service'));
      const [inventory, orders] = replicas;

      const atInventory = await request('GET', `${inventory?.url}/inventory`, { token: customer.token });
      const atOrders = await request('GET', `${orders?.url}/orders`, { token: customer.token });
      assert.equal(atInventory.status, 401, `new inventory-service instance: ${JSON.stringify(atInventory.body)}`);
      assert.equal(atOrders.status, 401, `new order-service instance: ${JSON.stringify(atOrders.body)}`);
      const other = await stack.customer();
      assert.equal((await request('GET', `${inventory?.url}/inventory`, { token: other.token })).status, 200, 'an unrevoked token passes there');
    });
  });
});
