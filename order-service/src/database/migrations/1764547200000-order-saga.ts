import { createInboxTable, createOutboxTable, dropInboxTable, dropOutboxTable } from '@oip/platform/outbox';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the order saga needs: the customer's address (every order event carries it), inventory's
 * answer per order, the position of each line, and the outbox (events leave with their state
 * change) and inbox (each inventory answer has one effect).
 */
export class OrderSaga1764547200000 implements MigrationInterface {
  name = 'OrderSaga1764547200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // No order was ever placed through the API before this migration (the shell had no endpoint);
    // the default only fills rows written by hand, and is dropped at once.
    await queryRunner.query(`ALTER TABLE orders ADD COLUMN customer_email text NOT NULL DEFAULT ''`);
    await queryRunner.query(`ALTER TABLE orders ALTER COLUMN customer_email DROP DEFAULT`);
    // Inventory answers each order once; NULL = not yet. A cancellation of a PENDING order waits
    // for this answer before it tells inventory to release (see orders.service.ts, the saga).
    await queryRunner.query(`
      ALTER TABLE orders ADD COLUMN stock_outcome text
        CONSTRAINT orders_stock_outcome_check CHECK (stock_outcome IN ('RESERVED', 'REJECTED'))`);
    // Admin listings filter by status, newest first.
    await queryRunner.query(`CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC)`);
    // Lines are shown in the order the customer gave them.
    await queryRunner.query(`ALTER TABLE order_items ADD COLUMN position integer NOT NULL DEFAULT 0`);
    await createOutboxTable(queryRunner);
    await createInboxTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropInboxTable(queryRunner);
    await dropOutboxTable(queryRunner);
    await queryRunner.query(`ALTER TABLE order_items DROP COLUMN position`);
    await queryRunner.query(`DROP INDEX orders_status_created_idx`);
    await queryRunner.query(`ALTER TABLE orders DROP COLUMN stock_outcome`);
    await queryRunner.query(`ALTER TABLE orders DROP COLUMN customer_email`);
  }
}
