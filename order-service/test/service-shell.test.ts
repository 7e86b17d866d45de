import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertTestDatabaseName, serviceShellSuite, startService, testInfra, type ServiceProcess } from '@oip/testkit';
import { Client } from 'pg';

const database = assertTestDatabaseName('orders_test');

function serviceEnv(): Record<string, string> {
  const { postgres, rabbitmqUrl } = testInfra();
  return {
    POSTGRES_HOST: postgres.host,
    POSTGRES_PORT: String(postgres.port),
    POSTGRES_USER: postgres.user,
    POSTGRES_PASSWORD: postgres.password,
    ORDER_DB_NAME: database,
    RABBITMQ_URL: rabbitmqUrl,
  };
}

serviceShellSuite({
  service: 'order-service',
  portVariable: 'ORDER_SERVICE_PORT',
  env: serviceEnv,
  store: { component: 'postgres', check: 'database' },
  checks: ['rabbitmq', 'token-revocations'],
});

describe('order-service schema', () => {
  let service: ServiceProcess;
  let db: Client;

  const insertOrder = async (customerId: string, values: { status?: string; idempotencyKey?: string } = {}): Promise<string> => {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO orders (customer_id, customer_email, status, total, currency, idempotency_key) VALUES ($1, 'c@example.test', $2, '12.50', 'EUR', $3) RETURNING id`,
      [customerId, values.status ?? 'PENDING', values.idempotencyKey ?? null],
    );
    const id = rows[0]?.id;
    assert.ok(id);
    return id;
  };
  const insertItem = (orderId: string, quantity: number) =>
    db.query(`INSERT INTO order_items (order_id, product_id, name, unit_price, quantity) VALUES ($1, '6650c0ffee0000000000beef', 'Mug', '6.25', $2)`, [orderId, quantity]);

  before(async () => {
    // Started for its side effect: the migrations run at boot.
    service = await startService('order-service', 'ORDER_SERVICE_PORT', serviceEnv());
    const { postgres } = testInfra();
    db = new Client({ ...postgres, database });
    await db.connect();
  });

  after(async () => {
    await db.end();
    await service.stop();
  });

  it('When the service has started, then its migrations have created orders and order_items', async () => {
    const { rows } = await db.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name IN ('orders', 'order_items') ORDER BY table_name, ordinal_position`,
    );
    const columnsOf = (table: string) => rows.filter((row) => row.table_name === table).map((row) => row.column_name);

    assert.deepEqual(columnsOf('orders'), [
      'id', 'customer_id', 'status', 'total', 'currency', 'idempotency_key', 'created_at', 'updated_at', 'version', 'customer_email', 'stock_outcome', 'cancel_reason', 'cancel_announced', 'stock_rejection',
    ]);
    assert.deepEqual(columnsOf('order_items'), ['id', 'order_id', 'product_id', 'name', 'unit_price', 'quantity', 'position']);
  });

  it('When an order is stored, then it starts at version 1 and keeps its total to the cent', async () => {
    const id = await insertOrder(randomUUID());

    const { rows } = await db.query<{ total: string; version: number }>(`SELECT total, version FROM orders WHERE id = $1`, [id]);

    assert.deepEqual(rows[0], { total: '12.50', version: 1 });
  });

  it('When an order has a status outside the lifecycle, then the database refuses it', async () => {
    await assert.rejects(insertOrder(randomUUID(), { status: 'LOST' }), (error: { code?: string }) => error.code === '23514');
  });

  it('When an item has a quantity of zero, then the database refuses it', async () => {
    const orderId = await insertOrder(randomUUID());

    await assert.rejects(insertItem(orderId, 0), (error: { code?: string }) => error.code === '23514');
  });

  it('When a customer reuses an idempotency key, then the database refuses the second order, but another customer may use it', async () => {
    const key = `key-${randomUUID()}`;
    await insertOrder(randomUUID(), { idempotencyKey: key });
    const customerId = randomUUID();
    await insertOrder(customerId, { idempotencyKey: key });

    await assert.rejects(insertOrder(customerId, { idempotencyKey: key }), (error: { code?: string }) => error.code === '23505');
  });

  it('When the service has started, then the outbox and inbox tables exist', async () => {
    const { rows } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('outbox', 'processed_events') ORDER BY table_name`,
    );

    assert.deepEqual(rows.map((row) => row.table_name), ['outbox', 'processed_events']);
  });

  it('When an order is deleted, then its items go with it', async () => {
    const orderId = await insertOrder(randomUUID());
    await insertItem(orderId, 2);

    await db.query(`DELETE FROM orders WHERE id = $1`, [orderId]);

    const { rows } = await db.query(`SELECT 1 FROM order_items WHERE order_id = $1`, [orderId]);
    assert.equal(rows.length, 0);
  });
});
