import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether an order's cancellation was announced while inventory's answer was still awaited (the
 * pending-order sweeper does that after ORDER_PENDING_TIMEOUT_SECONDS): a reservation arriving
 * later must then be released with an event of its own (order-saga.service.ts).
 */
export class CancelAnnounced1765000000001 implements MigrationInterface {
  name = 'CancelAnnounced1765000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE orders ADD COLUMN cancel_announced boolean NOT NULL DEFAULT false`);
    // The sweeper's second question: cancelled before any answer came, and not yet announced.
    await queryRunner.query(`
      CREATE INDEX orders_cancelled_unannounced_idx ON orders (updated_at)
        WHERE status = 'CANCELLED' AND stock_outcome IS NULL AND NOT cancel_announced`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX orders_cancelled_unannounced_idx`);
    await queryRunner.query(`ALTER TABLE orders DROP COLUMN cancel_announced`);
  }
}
