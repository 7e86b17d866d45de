import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOrders1763784000000 implements MigrationInterface {
  name = 'CreateOrders1763784000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Money is numeric(14,2), never a float. The status list is spelled out here rather than
    // imported, because a migration must keep meaning what it meant when it first ran.
    await queryRunner.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        customer_id uuid NOT NULL,
        status text NOT NULL DEFAULT 'PENDING'
          CONSTRAINT orders_status_check CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED')),
        total numeric(14,2) NOT NULL CONSTRAINT orders_total_check CHECK (total >= 0),
        currency char(3) NOT NULL,
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        version integer NOT NULL DEFAULT 1,
        -- A retried POST with the same Idempotency-Key finds the first order instead of making a second.
        -- Keys are per customer (one client cannot collide with another); NULLs never conflict.
        CONSTRAINT orders_customer_idempotency_key UNIQUE (customer_id, idempotency_key)
      )`);
    // "My orders, newest first".
    await queryRunner.query(`CREATE INDEX orders_customer_created_idx ON orders (customer_id, created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE order_items (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        order_id uuid NOT NULL CONSTRAINT order_items_order_fk REFERENCES orders (id) ON DELETE CASCADE,
        product_id text NOT NULL,
        name text NOT NULL,
        unit_price numeric(14,2) NOT NULL CONSTRAINT order_items_unit_price_check CHECK (unit_price >= 0),
        quantity integer NOT NULL CONSTRAINT order_items_quantity_check CHECK (quantity > 0)
      )`);
    await queryRunner.query(`CREATE INDEX order_items_order_idx ON order_items (order_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE order_items`);
    await queryRunner.query(`DROP TABLE orders`);
  }
}
