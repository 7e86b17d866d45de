import type { Connection } from 'mongoose';
import type { Idempotency } from '../messaging/consumer';

interface ProcessedEvent {
  _id: string;
  state: 'processing' | 'done';
  leaseUntil: Date;
  processedAt?: Date;
}

/** Another delivery of the same event is being handled right now; try again later. */
export class EventInProgressError extends Error {
  readonly code = 'EVENT.IN_PROGRESS';
}

const DUPLICATE_KEY = 11000;

/**
 * Idempotency for MongoDB consumers, without multi-document transactions: an event id is claimed
 * by inserting it (the unique `_id` makes the claim atomic), the effect runs, then the claim is
 * marked done. A claim left by a crashed process expires after `leaseMs` and may be taken over, so
 * handlers must themselves be safe to re-run after a crash (keyed updates), which ours are.
 */
export function mongoIdempotency(connection: Connection, leaseMs = 60_000): Idempotency {
  const collection = connection.collection<ProcessedEvent>('processed_events');
  return {
    async run(consumer, eventId, effect) {
      const _id = `${consumer}:${eventId}`;
      const now = new Date();
      let claimed = false;
      try {
        await collection.insertOne({ _id, state: 'processing', leaseUntil: new Date(now.getTime() + leaseMs) });
        claimed = true;
      } catch (error) {
        if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
      }
      if (!claimed) {
        const takenOver = await collection.findOneAndUpdate(
          { _id, state: 'processing', leaseUntil: { $lt: now } },
          { $set: { leaseUntil: new Date(now.getTime() + leaseMs) } },
        );
        if (!takenOver) {
          const existing = await collection.findOne({ _id });
          if (existing?.state === 'done') return 'duplicate';
          throw new EventInProgressError(`event ${eventId} is being handled by another delivery`);
        }
      }
      try {
        await effect();
      } catch (error) {
        // Release the claim so a retry can run the effect.
        await collection.deleteOne({ _id, state: 'processing' });
        throw error;
      }
      await collection.updateOne({ _id }, { $set: { state: 'done', processedAt: new Date() } });
      return 'processed';
    },
  };
}
