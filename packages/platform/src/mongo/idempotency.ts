import type { Connection, mongo } from 'mongoose';
import { GroupCommit } from '../group-commit';
import type { Idempotency } from '../messaging/consumer';
import { EventInProgressError } from '../messaging/event-routing';
import { isDuplicateKey } from './versioned-collection';

interface Marker {
  _id: string;
  leaseUntil?: Date;
  processedAt?: Date;
  releasedAt?: Date;
}

/** A holder's update of its own claim. */
interface Stamp {
  id: string;
  update: mongo.UpdateFilter<Marker>;
}

/** How one claim of a batch ended: inserted, beaten by an existing claim, or failed on its own. */
type InsertOutcome = 'inserted' | 'duplicate' | { failed: Error };

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
 * The happy path is two writes (insert the claim, stamp it), and both are shared: claims and stamps
 * of deliveries in flight at the same time go together, one unordered insert and one bulk write of
 * single-document updates per round trip (GroupCommit), so under load a delivery pays a fraction of
 * a round trip for each. Batching changes no outcome: the unordered insert answers each claim by its
 * own index (a duplicate loses only that claim, as alone), and every stamp still names one claim by
 * `_id` (not `$in`, which FerretDB answers with a scan of the whole collection). The consumer acks a
 * delivery only after its own stamp is written. Handlers are still written as keyed, re-runnable
 * updates: a crash after the effect but before the stamp runs it again.
 */
export function mongoIdempotency(connection: Connection, leaseMs = 60_000): Idempotency {
  const markers = connection.collection<Marker>('processed_events');
  const inserts = new GroupCommit<Marker, InsertOutcome>((batch) => insertEach(markers, batch));
  const stamps = new GroupCommit<Stamp, Error | undefined>((batch) => stampEach(markers, batch));
  const tryInsert = async (marker: Marker): Promise<boolean> => {
    const outcome = await inserts.add(marker);
    if (typeof outcome === 'object') throw outcome.failed;
    return outcome === 'inserted';
  };
  const stamp = async (id: string, update: mongo.UpdateFilter<Marker>): Promise<void> => {
    const failed = await stamps.add({ id, update });
    if (failed) throw failed;
  };

  /** One lookup by `_id` per claim, not `$in` (a scan of the whole collection on FerretDB): a chain is short. */
  async function anyProcessed(ids: string[]): Promise<boolean> {
    for (const id of ids) {
      if ((await markers.findOne({ _id: id }, { projection: { processedAt: 1 } }))?.processedAt) return true;
    }
    return false;
  }

  /** The claim this delivery now holds, or `duplicate`; throws while another delivery holds it. */
  async function claim(id: string, eventId: string, takenOver: string[] = []): Promise<{ held: string } | 'duplicate'> {
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round += 1) {
      const now = Date.now();
      if (await tryInsert({ _id: id, leaseUntil: new Date(now + leaseMs) })) {
        if (await anyProcessed(takenOver)) {
          // Done by a holder we took over from: this link is done too, for whoever walks the chain.
          await stamp(id, { $set: { processedAt: new Date() } });
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
        await stamp(held, { $set: { releasedAt: new Date() } });
        throw error;
      }
      await stamp(held, { $set: { processedAt: new Date() }, $unset: { leaseUntil: 1 } });
      return 'processed';
    },
  };
}

/**
 * One unordered insert for the batch, answered per document by the write errors' indexes (MongoDB
 * and FerretDB report them alike): the others of the batch are inserted whatever befalls one.
 */
async function insertEach(collection: mongo.Collection<Marker>, batch: Marker[]): Promise<InsertOutcome[]> {
  const [only] = batch;
  // A batch of one is the quiet case: the driver's single insert costs less CPU than its bulk path.
  if (only && batch.length === 1) {
    try {
      await collection.insertOne(only);
      return ['inserted'];
    } catch (error) {
      if (isDuplicateKey(error)) return ['duplicate'];
      throw error;
    }
  }
  try {
    await collection.insertMany(batch, { ordered: false });
    return batch.map(() => 'inserted');
  } catch (error) {
    const failures = writeErrorsByIndex(error);
    return batch.map((marker, index): InsertOutcome => {
      const failure = failures.get(index);
      if (!failure) return 'inserted';
      return isDuplicateKey(failure) ? 'duplicate' : { failed: new Error(`claim ${marker._id} not inserted: ${failure.errmsg}`, { cause: failure }) };
    });
  }
}

/** One bulk write of single-claim updates by `_id`, answered per stamp (a batch of one as a plain update, cheaper alone). */
async function stampEach(collection: mongo.Collection<Marker>, batch: Stamp[]): Promise<Array<Error | undefined>> {
  const [only] = batch;
  if (only && batch.length === 1) {
    await collection.updateOne({ _id: only.id }, only.update);
    return [undefined];
  }
  try {
    await collection.bulkWrite(batch.map(({ id, update }) => ({ updateOne: { filter: { _id: id }, update } })), { ordered: false });
    return batch.map(() => undefined);
  } catch (error) {
    const failures = writeErrorsByIndex(error);
    return batch.map(({ id }, index) => {
      const failure = failures.get(index);
      return failure && new Error(`claim ${id} not stamped: ${failure.errmsg}`, { cause: failure });
    });
  }
}

/** The per-document errors of an unordered bulk write that failed in part; rethrows one that failed as a whole (the connection, say). */
function writeErrorsByIndex(error: unknown): Map<number, { code?: unknown; errmsg?: string }> {
  const writeErrors = (error as { writeErrors?: Array<{ index: number; code?: unknown; errmsg?: string }> }).writeErrors;
  if (!writeErrors || writeErrors.length === 0) throw error;
  return new Map(writeErrors.map((writeError) => [writeError.index, writeError]));
}
