import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inventory's reason for a rejection (its stock_rejected `reason` and `shortItems`), kept with the
 * order so the customer's order page can say which line was short. NULL for any other outcome and
 * for orders rejected before this column existed.
 */
export class StockRejection1766000000000 implements MigrationInterface {
  name = 'StockRejection1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE orders ADD COLUMN stock_rejection jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE orders DROP COLUMN stock_rejection`);
  }
}
