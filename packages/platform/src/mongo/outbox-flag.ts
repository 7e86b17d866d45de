import type { CloudEvent } from '@oip/contracts';
import { withTraceparent } from '../telemetry/trace-context';

/**
 * Documents that carry a document outbox (`outbox: [event, …]`, see document-outbox.ts) also carry
 * `outboxPending`, true while the outbox holds anything. The relay looks for `outboxPending: true`
 * — an equality on an indexed field, which MongoDB and FerretDB both answer from an index —
 * instead of `'outbox.id': {$exists: true}`, which FerretDB answers by reading and decoding every
 * document of the collection on every poll.
 */
export const OUTBOX_PENDING = 'outboxPending';

/** The index the relay's query uses; create it with the collection's other indexes. */
export const OUTBOX_INDEX = { [OUTBOX_PENDING]: 1 } as const;

/**
 * The state with its `outboxPending` flag in step with its outbox, and each new event stamped with
 * the trace context of the write that adds it (for the relay, which publishes from outside any
 * request); states without an outbox pass unchanged.
 */
export function flagOutbox<S>(state: S): S {
  const outbox = (state as { outbox?: CloudEvent[] }).outbox;
  if (!Array.isArray(outbox)) return state;
  return { ...state, outbox: outbox.map(withTraceparent), [OUTBOX_PENDING]: outbox.length > 0 };
}
