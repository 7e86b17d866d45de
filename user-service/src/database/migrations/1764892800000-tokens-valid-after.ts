import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `tokens_valid_after`: access tokens of the user issued before it are void (set on a role change
 * or a deactivation). The index serves the recent-revocations list every verifier loads at start.
 */
export class TokensValidAfter1764892800000 implements MigrationInterface {
  name = 'TokensValidAfter1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz`);
    await queryRunner.query(`CREATE INDEX users_tokens_valid_after_idx ON users (tokens_valid_after) WHERE tokens_valid_after IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX users_tokens_valid_after_idx`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN tokens_valid_after`);
  }
}
