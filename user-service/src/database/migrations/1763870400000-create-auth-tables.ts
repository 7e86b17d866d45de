import { createOutboxTable, dropOutboxTable } from '@oip/platform/outbox';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Refresh tokens (hashed, rotated in families), failed-login records for throttling, and the outbox. */
export class CreateAuthTables1763870400000 implements MigrationInterface {
  name = 'CreateAuthTables1763870400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Only the SHA-256 of a refresh token is stored; a token and the ones rotated from it share a family.
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await queryRunner.query(`CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)`);

    // Failed logins, counted per account and per client address over a sliding window. In the
    // database rather than in memory so that every instance counts the same attempts.
    await queryRunner.query(`
      CREATE TABLE login_attempts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email text NOT NULL,
        ip text NOT NULL,
        attempted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX login_attempts_email_idx ON login_attempts (email, attempted_at)`);
    await queryRunner.query(`CREATE INDEX login_attempts_ip_idx ON login_attempts (ip, attempted_at)`);
    await queryRunner.query(`CREATE INDEX login_attempts_attempted_at_idx ON login_attempts (attempted_at)`);

    await createOutboxTable(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropOutboxTable(queryRunner);
    await queryRunner.query(`DROP TABLE login_attempts`);
    await queryRunner.query(`DROP TABLE refresh_tokens`);
  }
}
