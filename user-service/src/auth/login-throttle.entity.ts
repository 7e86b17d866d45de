import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A row of `login_throttle`: failed logins of one subject within a fixed window. `scope` is `pair`
 * (subject: address and e-mail), `address` or `account` (subject: e-mail). The schema is the migrations'.
 */
@Entity({ name: 'login_throttle' })
@Index('login_throttle_expires_at_idx', ['expiresAt'])
export class LoginThrottleEntity {
  @PrimaryColumn({ type: 'text' })
  scope!: string;

  @PrimaryColumn({ type: 'text' })
  subject!: string;

  @Column({ type: 'integer' })
  count!: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
