import type { CloudEvent } from '@oip/contracts';
import type { Metrics } from '../metrics';
import { OUTBOX_PENDING } from './outbox-flag';
import type { StringIdCollection } from './versioned-collection';

/** Documents looked at per scrape: enough to see a backlog; the age comes from the oldest of them. */
const SCAN_LIMIT = 1000;

/**
 * The document outbox's lag under the names the PostgreSQL relay uses (`outbox_pending_events`,
 * `outbox_oldest_pending_age_seconds`), read at scrape time from the documents flagged
 * `outboxPending`, so one alert covers both kinds of outbox.
 */
export function observeDocumentOutbox(metrics: Metrics, collection: StringIdCollection): void {
  let last: Promise<{ pending: number; age: number }> | undefined;
  // Both gauges are scraped together: one read serves the pair.
  const read = (): Promise<{ pending: number; age: number }> => {
    last ??= scan(collection).finally(() => setTimeout(() => (last = undefined), 100).unref());
    return last;
  };
  metrics.observe('outbox_pending_events', 'Events in the outbox not yet confirmed by the broker', [], async () => [{ labels: {}, value: (await read()).pending }]);
  metrics.observe('outbox_oldest_pending_age_seconds', 'Age of the oldest event in the outbox not yet confirmed by the broker', [], async () => [{ labels: {}, value: (await read()).age }]);
}

async function scan(collection: StringIdCollection): Promise<{ pending: number; age: number }> {
  const docs = (await collection
    .find({ [OUTBOX_PENDING]: true }, { projection: { outbox: 1 } })
    .limit(SCAN_LIMIT)
    .toArray()) as unknown as Array<{ outbox?: CloudEvent[] }>;
  let pending = 0;
  let oldest = Date.now();
  for (const doc of docs) {
    for (const event of doc.outbox ?? []) {
      pending += 1;
      oldest = Math.min(oldest, Date.parse(event.time) || oldest);
    }
  }
  return { pending, age: (Date.now() - oldest) / 1000 };
}
