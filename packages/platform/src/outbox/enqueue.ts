import type { CloudEvent } from '@oip/contracts';
import { parseEvent } from '@oip/contracts';
import type { EntityManager } from 'typeorm';
import { withTraceparent } from '../telemetry/trace-context';
import { OUTBOX_TABLE } from './outbox.entity';

/** Marks a transaction that wrote outbox rows (in its QueryRunner's data), so the relay is woken once it commits. */
export const ENQUEUED_IN_TRANSACTION = 'oip:outboxEnqueued';

/**
 * Adds an event to the outbox inside the caller's transaction: `manager` must be the transaction's
 * EntityManager (from `dataSource.transaction(...)`), so the event commits or rolls back with the
 * state change. The event is validated against its contract now, not when the relay meets it.
 */
export async function enqueueEvent(manager: EntityManager, event: CloudEvent): Promise<void> {
  const queryRunner = manager.queryRunner;
  if (!queryRunner?.isTransactionActive) throw new Error('enqueueEvent needs the EntityManager of an open transaction');
  const row = outboxRow(event);
  await manager.query(`INSERT INTO ${OUTBOX_TABLE} (id, type, payload) VALUES ($1, $2, $3)`, [row.id, row.type, row.payload]);
  queryRunner.data = { ...queryRunner.data, [ENQUEUED_IN_TRANSACTION]: true };
}

/**
 * The outbox row's values (id, type, payload as JSON), for a repository that writes the row in the
 * same statement as the state change (a CTE: one round trip, atomic without a transaction). The
 * event is validated now, as enqueueEvent does; after such a statement, call wakeOutboxRelay.
 */
export function outboxRow(event: CloudEvent): { id: string; type: string; payload: string } {
  // The row keeps the request's trace context (in the event), for the relay that publishes it later.
  const payload = parseEvent(JSON.parse(JSON.stringify(withTraceparent(event))));
  return { id: payload.id, type: payload.type, payload: JSON.stringify(payload) };
}
