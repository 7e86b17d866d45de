import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ThrottleCounts } from './login-throttle.policy';

const pairOf = (email: string, ip: string): string => `${ip} ${email}`;

/**
 * Failed-login counters in PostgreSQL, so every instance throttles on the same counts. Each counter
 * runs over a fixed window that starts with its first attempt; an expired one starts again at 1.
 */
@Injectable()
export class LoginThrottleRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Counts this attempt against its pair and its address and reads the account's failures, in one
   * statement: each upsert increments under the row's lock and returns the new count, so N
   * parallel attempts see 1..N and no two of them the same count.
   */
  async countAttempt(email: string, ip: string, windowSeconds: number): Promise<ThrottleCounts> {
    const rows = await this.dataSource.query<Array<{ scope: string; count: number; retryAfterSeconds: number }>>(
      `WITH counted AS (
         INSERT INTO login_throttle AS t (scope, subject, count, expires_at)
         VALUES ('pair', $1, 1, now() + make_interval(secs => $3)), ('address', $2, 1, now() + make_interval(secs => $3))
         ON CONFLICT (scope, subject) DO UPDATE
           SET count = CASE WHEN t.expires_at <= now() THEN 1 ELSE t.count + 1 END,
               expires_at = CASE WHEN t.expires_at <= now() THEN excluded.expires_at ELSE t.expires_at END
         RETURNING scope, count, ceil(extract(epoch FROM t.expires_at - now()))::int AS "retryAfterSeconds"
       )
       SELECT scope, count, "retryAfterSeconds" FROM counted
       UNION ALL
       SELECT 'account', coalesce(max(count), 0), 0 FROM login_throttle WHERE scope = 'account' AND subject = $4 AND expires_at > now()`,
      [pairOf(email, ip), ip, windowSeconds, email],
    );
    const of = (scope: string) => rows.find((row) => row.scope === scope) ?? { count: 0, retryAfterSeconds: 0 };
    const count = (scope: string) => ({ count: of(scope).count, retryAfterSeconds: of(scope).retryAfterSeconds });
    return { pair: count('pair'), address: count('address'), accountFailures: of('account').count };
  }

  /** A password check failed: the account slows down. Counters past their window are dropped here. */
  async recordAccountFailure(email: string, windowSeconds: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO login_throttle AS t (scope, subject, count, expires_at) VALUES ('account', $1, 1, now() + make_interval(secs => $2))
       ON CONFLICT (scope, subject) DO UPDATE
         SET count = CASE WHEN t.expires_at <= now() THEN 1 ELSE t.count + 1 END,
             expires_at = CASE WHEN t.expires_at <= now() THEN excluded.expires_at ELSE t.expires_at END`,
      [email, windowSeconds],
    );
    await this.dataSource.query(`DELETE FROM login_throttle WHERE expires_at < now()`);
  }

  /**
   * A successful login forgives the pair's and the account's failures, and gives the address back
   * the attempt it was counted (an address is limited on failures, not on logins).
   */
  async forgive(email: string, ip: string): Promise<void> {
    await this.dataSource.query(
      `WITH forgiven AS (
         DELETE FROM login_throttle WHERE (scope = 'pair' AND subject = $1) OR (scope = 'account' AND subject = $2)
       )
       UPDATE login_throttle SET count = count - 1 WHERE scope = 'address' AND subject = $3 AND count > 0`,
      [pairOf(email, ip), email, ip],
    );
  }
}
