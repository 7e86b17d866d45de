import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Failed logins in PostgreSQL, so every instance throttles on the same count. Rows older than the
 * window are of no use and are deleted as new failures come in.
 */
@Injectable()
export class LoginAttemptsRepository {
  constructor(private readonly dataSource: DataSource) {}

  async recentFailures(email: string, ip: string, windowSeconds: number): Promise<{ byAccount: number; byIp: number }> {
    const [row] = await this.dataSource.query<Array<{ byAccount: number; byIp: number }>>(
      `SELECT count(*) FILTER (WHERE email = $1)::int AS "byAccount", count(*) FILTER (WHERE ip = $2)::int AS "byIp"
         FROM login_attempts
        WHERE (email = $1 OR ip = $2) AND attempted_at > now() - make_interval(secs => $3)`,
      [email, ip, windowSeconds],
    );
    return row ?? { byAccount: 0, byIp: 0 };
  }

  async recordFailure(email: string, ip: string, windowSeconds: number): Promise<void> {
    await this.dataSource.query(`INSERT INTO login_attempts (email, ip) VALUES ($1, $2)`, [email, ip]);
    await this.dataSource.query(`DELETE FROM login_attempts WHERE attempted_at < now() - make_interval(secs => $1)`, [windowSeconds]);
  }

  /** A successful login forgives the account's earlier failures (not the address's). */
  async clearAccount(email: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM login_attempts WHERE email = $1`, [email]);
  }
}
