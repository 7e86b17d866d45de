import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why an order was cancelled. `timeout` marks the orders the pending-order sweeper cancelled: their
 * cancellation was announced at once, so a stock answer arriving later must release its holds
 * with an event of its own (order-saga.service.ts). Orders cancelled before this column existed
 * keep NULL.
 */
export class CancelReason1765000000000 implements MigrationInterface {
  name = 'CancelReason1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE orders ADD COLUMN cancel_reason text
        CONSTRAINT orders_cancel_reason_check CHECK (cancel_reason IN ('customer', 'admin', 'timeout'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE orders DROP COLUMN cancel_reason`);
  }
}
