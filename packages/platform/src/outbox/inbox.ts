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

/** The event being handled: its transaction, or none yet during a one-statement first try. */
interface Handling {
  consumer: string;
  eventId: string;
  manager?: EntityManager;
}

const handling = new AsyncLocalStorage<Handling>();

/**
 * Thrown when a handler, run first without a transaction (`oneStatementFirst`), needs one: the
 * handler runs again inside the event's transaction. The first try must have changed nothing, or
 * only in a statement that also recorded the event (which the second run then finds: a duplicate).
 */
export class TransactionNeeded extends Error {
  constructor() {
    super('the event handler needs its transaction');
    this.name = 'TransactionNeeded';
  }
}

/**
 * The EntityManager of the event transaction in progress, or the DataSource's own outside one.
 * During a handler's one-statement first try it throws TransactionNeeded: whatever the handler
 * does through it needs the event's transaction, so the handler is run again inside one.
 */
export function transactionManager(dataSource: DataSource): EntityManager {
  const current = handling.getStore();
  if (!current) return dataSource.manager;
  if (!current.manager) throw new TransactionNeeded();
  return current.manager;
}

/**
 * The event to record in `processed_events` when the handler is on its one-statement first try
 * (no transaction): a first try that returns must have inserted `(consumer, event_id)` into
 * INBOX_TABLE in the statement of its effect, and done nothing when that row existed. Undefined
 * otherwise (in the transaction, the row is in already).
 */
export function eventToRecord(): { consumer: string; eventId: string } | undefined {
  const current = handling.getStore();
  return current && !current.manager ? { consumer: current.consumer, eventId: current.eventId } : undefined;
}

export interface TypeormIdempotencyOptions {
  /**
   * Runs each handler once without a transaction first, for handlers whose common case is one
   * statement that records the event and its effect together (atomic by itself: one round trip
   * instead of begin, inbox insert, effect, commit). A handler that cannot (it asks for
   * transactionManager, or throws TransactionNeeded) is run again in the event's transaction.
   */
  oneStatementFirst?: boolean;
}

export function typeormIdempotency(dataSource: DataSource, options: TypeormIdempotencyOptions = {}): Idempotency {
  const inTransaction = (consumer: string, eventId: string, effect: () => Promise<void>) =>
    dataSource.transaction(async (manager): Promise<'processed' | 'duplicate'> => {
      const inserted = await manager.query<unknown[]>(
        `INSERT INTO ${INBOX_TABLE} (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`,
        [consumer, eventId],
      );
      if (inserted.length === 0) return 'duplicate';
      await handling.run({ consumer, eventId, manager }, effect);
      return 'processed';
    });
  return {
    async run(consumer, eventId, effect) {
      if (options.oneStatementFirst) {
        try {
          await handling.run({ consumer, eventId }, effect);
          return 'processed';
        } catch (error) {
          if (!(error instanceof TransactionNeeded)) throw error;
        }
      }
      return inTransaction(consumer, eventId, effect);
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
