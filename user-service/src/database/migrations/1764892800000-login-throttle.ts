import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed-login counters replace the row-per-failure log: one counter per (address, account) pair,
 * per address and per account, each over a fixed window, so that a login can count itself and read
 * the result in one atomic statement (see login-throttle.repository.ts).
 */
export class LoginThrottle1764892800000 implements MigrationInterface {
  name = 'LoginThrottle1764892800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE login_attempts`);
    await queryRunner.query(`
      CREATE TABLE login_throttle (
        scope text NOT NULL,
        subject text NOT NULL,
        count integer NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (scope, subject)
      )`);
    await queryRunner.query(`CREATE INDEX login_throttle_expires_at_idx ON login_throttle (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE login_throttle`);
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
  }
}
