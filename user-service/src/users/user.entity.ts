import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A row of `users`. The schema is owned by the migrations; this mapping must follow them.
 * The unique index is on lower(email), which TypeORM cannot express, so it is declared but
 * left alone (`synchronize: false`) and migration:generate does not try to drop it.
 */
@Entity({ name: 'users' })
@Index('users_email_lower_key', { synchronize: false })
@Index('users_tokens_valid_after_idx', { synchronize: false })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  email!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash!: string;

  @Column({ type: 'text', array: true, default: () => "'{user}'" })
  roles!: string[];

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  /** Access tokens of this user issued before this instant are refused (role change, deactivation). */
  @Column({ name: 'tokens_valid_after', type: 'timestamptz', nullable: true })
  tokensValidAfter!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
