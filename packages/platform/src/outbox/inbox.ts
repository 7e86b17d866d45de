import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Idempotency } from '../messaging/consumer';

/**
 * The consuming half of the outbox pattern for the PostgreSQL services: the event id is recorded in
 * `processed_events` in the same transaction as the handler's effect (and any outbox rows the
 * handler enqueues), so a redelivered event has exactly one effect — the second transaction finds
 * the id and does nothing. Handlers reach that transaction through `transactionManager()`.
 */
export const INBOX_TABLE = 'processed_events';

const transactions = new AsyncLocalStorage<EntityManager>();

/** The EntityManager of the event transaction in progress, or the DataSource's own outside one. */
export function transactionManager(dataSource: DataSource): EntityManager {
  return transactions.getStore() ?? dataSource.manager;
}

export function typeormIdempotency(dataSource: DataSource): Idempotency {
  return {
    run(consumer, eventId, effect) {
      return dataSource.transaction(async (manager) => {
        const inserted = await manager.query<unknown[]>(
          `INSERT INTO ${INBOX_TABLE} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
          [consumer, eventId],
        );
        if (inserted.length === 0) return 'duplicate';
        await transactions.run(manager, effect);
        return 'processed';
      });
    },
  };
}

/** For a service's migration. */
export async function createInboxTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`
    CREATE TABLE ${INBOX_TABLE} (
      consumer text NOT NULL,
      event_id text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, event_id)
    )`);
}

export async function dropInboxTable(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.query(`DROP TABLE ${INBOX_TABLE}`);
}
