import type { Connection } from 'mongoose';
import type { Idempotency } from '../messaging/consumer';
import { isDuplicateKey } from './versioned-collection';

interface Marker {
  _id: string;
  leaseUntil?: Date;
  processedAt?: Date;
}

/** Another delivery of the same event is being handled right now; try again later. */
export class EventInProgressError extends Error {
  readonly code = 'EVENT.IN_PROGRESS';
}

/**
 * Idempotency for MongoDB consumers, without multi-document transactions and using only inserts
 * and deletes to decide, because those are atomic on MongoDB and on FerretDB 1.x alike while
 * conditional updates are not on FerretDB (see versioned-collection.ts):
 *   - `<key>:done` exists → the effect already ran: a duplicate.
 *   - `<key>` (the claim) → inserted by the one delivery allowed to run the effect now, with a
 *     lease. A claim whose lease has expired (its holder crashed) is taken over by inserting
 *     `<claim>><expired lease>`, itself a claim with a lease, so a taker that crashes too is taken
 *     over in turn: nothing is ever updated in place, and no crash leaves an event stuck.
 * After the effect, `<key>:done` is inserted before the claim is deleted, and a new claimant
 * re-checks `done` after claiming, so two deliveries never both run the effect. Handlers are still
 * written as keyed, re-runnable updates: a crash after the effect but before `done` runs it again.
 */
export function mongoIdempotency(connection: Connection, leaseMs = 60_000): Idempotency {
  const markers = connection.collection<Marker>('processed_events');
  const tryInsert = async (marker: Marker): Promise<boolean> => {
    try {
      await markers.insertOne(marker);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  };
  const isDone = async (key: string) => (await markers.findOne({ _id: `${key}:done` })) !== null;

  /** Returns the id of the claim this delivery now holds, or throws when another delivery holds it. */
  async function claim(id: string, eventId: string): Promise<string> {
    const now = Date.now();
    if (await tryInsert({ _id: id, leaseUntil: new Date(now + leaseMs) })) return id;
    const lease = (await markers.findOne({ _id: id }))?.leaseUntil?.getTime();
    if (lease === undefined || lease > now) throw new EventInProgressError(`event ${eventId} is being handled by another delivery`);
    return claim(`${id}>${lease}`, eventId);
  }

  return {
    async run(consumer, eventId, effect) {
      const key = `${consumer}:${eventId}`;
      if (await isDone(key)) return 'duplicate';
      const held = await claim(key, eventId);
      if (await isDone(key)) {
        await markers.deleteOne({ _id: held });
        return 'duplicate';
      }
      try {
        await effect();
      } catch (error) {
        // Release the claim so a retry can run the effect.
        await markers.deleteOne({ _id: held });
        throw error;
      }
      await tryInsert({ _id: `${key}:done`, processedAt: new Date() });
      await markers.deleteOne({ _id: held });
      return 'processed';
    },
  };
}
