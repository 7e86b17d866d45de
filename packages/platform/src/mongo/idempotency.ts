import type { Connection } from 'mongoose';
import type { Idempotency } from '../messaging/consumer';
import { EventInProgressError } from '../messaging/event-routing';
import { isDuplicateKey } from './versioned-collection';

interface Marker {
  _id: string;
  leaseUntil?: Date;
  processedAt?: Date;
  releasedAt?: Date;
}


/** Claims are never deleted; a read that finds none right after a duplicate-key insert is retried this often. */
const MAX_CLAIM_ROUNDS = 5;

/**
 * Idempotency for MongoDB consumers, without multi-document transactions. Who may run the effect is
 * decided by inserts only, because an insert against a unique key is atomic on MongoDB and on
 * FerretDB 1.x alike while conditional updates are not on FerretDB (see versioned-collection.ts):
 *   - `<key>` is the claim, inserted with a lease by the one delivery allowed to run the effect.
 *     Its holder — and nobody else — stamps it `processedAt` when the effect is done, or
 *     `releasedAt` when the effect failed. A claim stamped processed means "duplicate".
 *   - A claim that was released, or whose lease has expired (its holder crashed), is taken over by
 *     inserting `<claim>><its lease>`, itself a claim with a lease, so every later delivery meets
 *     the same chain and only one link is ever live. (Deleting a failed claim instead would let a
 *     retry start afresh at `<key>` while a taker of that claim still runs.) A taker re-reads the
 *     claims it took over before running the effect, in case a holder was only slow and finished.
 * The happy path is two round trips (insert the claim, stamp it). Handlers are still written as
 * keyed, re-runnable updates: a crash after the effect but before the stamp runs it again.
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

  /** The claim this delivery now holds, or `duplicate`; throws while another delivery holds it. */
  async function claim(id: string, eventId: string, takenOver: string[] = []): Promise<{ held: string } | 'duplicate'> {
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
      const now = Date.now();
      if (await tryInsert({ _id: id, leaseUntil: new Date(now + leaseMs) })) {
        if (takenOver.length > 0 && (await markers.countDocuments({ _id: { $in: takenOver }, processedAt: { $exists: true } })) > 0) {
          // Done by a holder we took over from: this link is done too, for whoever walks the chain.
          await markers.updateOne({ _id: id }, { $set: { processedAt: new Date() } });
          return 'duplicate';
        }
        return { held: id };
      }
      const existing = await markers.findOne({ _id: id });
      if (!existing) continue;
      if (existing.processedAt) return 'duplicate';
      const lease = existing.leaseUntil?.getTime() ?? 0;
      if (lease > now && !existing.releasedAt) break;
      return claim(`${id}>${lease}`, eventId, [...takenOver, id]);
    }
    throw new EventInProgressError(`event ${eventId} is being handled by another delivery`);
  }

  return {
    async run(consumer, eventId, effect) {
      const claimed = await claim(`${consumer}:${eventId}`, eventId);
      if (claimed === 'duplicate') return 'duplicate';
      const { held } = claimed;
      try {
        await effect();
      } catch (error) {
        // Release the claim so a retry can take it over and run the effect.
        await markers.updateOne({ _id: held }, { $set: { releasedAt: new Date() } });
        throw error;
      }
      await markers.updateOne({ _id: held }, { $set: { processedAt: new Date() }, $unset: { leaseUntil: 1 } });
      return 'processed';
    },
  };
}
