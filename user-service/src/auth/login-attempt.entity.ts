import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A row of `login_attempts`: one failed login, by account and client address. */
@Entity({ name: 'login_attempts' })
@Index('login_attempts_email_idx', ['email', 'attemptedAt'])
@Index('login_attempts_ip_idx', ['ip', 'attemptedAt'])
@Index('login_attempts_attempted_at_idx', ['attemptedAt'])
export class LoginAttemptEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  ip!: string;

  @Column({ name: 'attempted_at', type: 'timestamptz', default: () => 'now()' })
  attemptedAt!: Date;
}
