import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { QueryRunner } from 'typeorm';

/**
 * A row of a service's `outbox` table: one domain event, written in the same transaction as the
 * state change it announces, published later by the relay. The table lives in each service's own
 * database and is created by that service's migration with `createOutboxTable` below, so every
 * service has the same shape and the relay can rely on it.
 */
export const OUTBOX_TABLE = 'outbox';

@Entity({ name: OUTBOX_TABLE })
@Index('outbox_unsent_idx', { synchronize: false })
export class OutboxEntity {
  /** The event id: a retried publish carries the same id, so consumers deduplicate it. */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  type!: string;

  /** The whole CloudEvent, exactly as it will be published. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  /** Set only once the broker has confirmed the event; null means still to publish. */
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}

/** For a service's migration: the outbox table and the partial index the relay scans. */
export async function createOutboxTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE ${OUTBOX_TABLE} (
      id uuid PRIMARY KEY,
      type text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz,
      attempts integer NOT NULL DEFAULT 0,
      last_error text
    )`);
  // Only unsent rows are ever scanned; the index stays as small as the backlog.
  await queryRunner.query(`CREATE INDEX outbox_unsent_idx ON ${OUTBOX_TABLE} (created_at, id) WHERE sent_at IS NULL`);
}

export async function dropOutboxTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`DROP TABLE ${OUTBOX_TABLE}`);
}
