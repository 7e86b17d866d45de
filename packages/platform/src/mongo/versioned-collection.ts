import type { mongo } from 'mongoose';
import { flagOutbox } from './outbox-flag';

/**
 * Lost-update-free changes to single MongoDB documents, on MongoDB *and* on FerretDB 1.x.
 *
 * Why not a conditional `updateOne`: FerretDB 1.x (PostgreSQL backend) evaluates an update's filter
 * on a read it made earlier and then writes the whole document back unconditionally, so
 * `updateOne`, `findOneAndUpdate` and a `version` compare-and-set all lose updates there. What *is*
 * atomic on both servers is an insert against a unique index (docs/decisions/0003).
 *
 * So a change is committed by inserting a *claim* `{ _id: "<docId>:<version+1>", state }` into a
 * claims collection: exactly one writer can claim a version, and it must have computed its new state
 * from the previous version, so no update is lost. The document itself is then overwritten with
 * the claimed state; it is a cache of the newest claim. A writer that finds newer claims than the
 * document (a committer crashed or is still writing) rolls forward from the claims, so a crash
 * between claim and write loses nothing. The claims double as the document's history (stock
 * movements, product revisions). Within one process, writers of the same document queue on a
 * mutex so they do not fight over versions; across processes the claim decides.
 */
export interface VersionedDoc {
  _id: string;
  version: number;
}

export type StateOf<T extends VersionedDoc> = Omit<T, '_id' | 'version'>;

export interface Claim<T extends VersionedDoc> {
  _id: string;
  docId: string;
  version: number;
  at: Date;
  state: StateOf<T>;
  [extra: string]: unknown;
}

/** What a `decide` function answers: leave the document alone, or replace its state. */
export type Decision<T extends VersionedDoc, R> =
  | { kind: 'unchanged'; result: R }
  /** `claim` adds fields to the claim (e.g. a movement's delta and reason, or a unique `opKey`). */
  | { kind: 'change'; next: StateOf<T>; result: (committed: T) => R; claim?: Record<string, unknown> };

/**
 * The claim collided on a unique key other than its `_id` (e.g. an operation key that makes an
 * operation happen once): the operation was already committed earlier.
 */
export class ClaimRejectedError extends Error {
  readonly code = 'DOCUMENT.CLAIM_REJECTED';
}

/** The document kept changing under us for longer than `maxWaitMs`. */
export class DocumentContendedError extends Error {
  readonly code = 'DOCUMENT.CONTENDED';
}

const DUPLICATE_KEY = 11000;

/** A raw collection whose documents are keyed by string ids. */
export type StringIdCollection = mongo.Collection<{ _id: string; [field: string]: unknown }>;

export function isDuplicateKey(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** Runs async work one at a time per key, in arrival order. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<R>(key: string, work: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export interface VersionedCollectionOptions {
  /** How long an update keeps retrying on version conflicts before giving up. */
  maxWaitMs?: number;
  /** A document older than its newest claim by this long is repaired by the next reader. */
  repairAfterMs?: number;
}

export class VersionedCollection<T extends VersionedDoc> {
  private readonly mutex = new KeyedMutex();
  private readonly maxWaitMs: number;
  private readonly repairAfterMs: number;
  private readonly docs: StringIdCollection;
  private readonly claimDocs: StringIdCollection;

  constructor(documents: StringIdCollection, claims: StringIdCollection, options: VersionedCollectionOptions = {}) {
    this.docs = documents;
    this.claimDocs = claims;
    this.maxWaitMs = options.maxWaitMs ?? 15_000;
    this.repairAfterMs = options.repairAfterMs ?? 2_000;
  }

  static claimId(docId: string, version: number): string {
    return `${docId}:${version}`;
  }

  /** Inserts a new document at version 0; a duplicate key error is the caller's to interpret. */
  async insert(doc: StateOf<T> & { _id: string }): Promise<T> {
    const created = { ...flagOutbox(doc), version: 0 } as unknown as T;
    await this.docs.insertOne(created as unknown as { _id: string });
    return created;
  }

  /** The document at its newest committed version (rolled forward over claims not yet written back). */
  async read(docId: string): Promise<T | null> {
    const { doc, stale } = await this.readRolledForward(docId);
    if (doc && stale) await this.writeBack(doc);
    return doc;
  }

  /**
   * The document as last written back: one round trip, where `read` takes two. It lags a change
   * between the change's claim and its write-back (milliseconds; until repaired when the writer
   * crashed there) and, on FerretDB, may show for a moment the older version a stalled writer put
   * back — what any query on the collection (a listing, the outbox relay) sees anyway. For reads
   * that inform, never for a decision: `update` and `read` roll forward over the claims.
   */
  async readWritten(docId: string): Promise<T | null> {
    return this.readStored(docId);
  }

  /**
   * Reads the newest state, asks `decide` what to do, and commits its answer by claiming the next
   * version; on a lost race it reads again and asks again. `decide` must have no effects (it may run
   * several times; reading other documents is fine) and may throw a domain error to refuse.
   */
  async update<R>(docId: string, decide: (current: T | null) => Decision<T, R> | Promise<Decision<T, R>>): Promise<R> {
    return this.mutex.run(docId, async () => {
      const deadline = Date.now() + this.maxWaitMs;
      for (let attempt = 0; ; attempt += 1) {
        // First try on the stored document alone: it is the newest version unless a writer is between
        // its claim and its write-back (or crashed there), and then our claim collides and we roll
        // forward. Only a decision *not* to write must check for newer claims before it is trusted.
        const optimistic = attempt === 0;
        const read = optimistic ? { doc: await this.readStored(docId), stale: false } : await this.readRolledForward(docId);
        const current = read.doc;
        let decision: Decision<T, R>;
        try {
          decision = await decide(current);
        } catch (error) {
          if (optimistic && (await this.hasNewerClaim(current))) continue;
          throw error;
        }
        if (decision.kind === 'unchanged') {
          if (optimistic && (await this.hasNewerClaim(current))) continue;
          // Nothing to write, but the stored document has lagged a claim for longer than a live
          // writer would take (it crashed): repair it, or whoever queries stored documents (an outbox
          // relay) keeps acting on the old state. Not sooner: on FerretDB a repair racing the live
          // writer's own write-back could set the document back a version.
          if (current && read.stale) await this.writeBack(current);
          return decision.result;
        }
        if (!current) throw new Error(`cannot change ${docId}: it does not exist`);
        const version = current.version + 1;
        const next = flagOutbox(decision.next);
        const claim = { ...decision.claim, _id: VersionedCollection.claimId(docId, version), docId, version, at: new Date(), state: next };
        try {
          await this.claimDocs.insertOne(claim);
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          if (!(await this.claimDocs.findOne({ _id: claim._id }, { projection: { _id: 1 } }))) {
            throw new ClaimRejectedError(`claim for ${docId} collides with an earlier one`);
          }
          if (Date.now() >= deadline) throw new DocumentContendedError(`${docId} is changing too fast to update`);
          await sleep(Math.random() * Math.min(100, 2 ** attempt));
          continue;
        }
        const committed = { ...next, _id: docId, version } as unknown as T;
        await this.writeBack(committed);
        return decision.result(committed);
      }
    });
  }

  private async readStored(docId: string): Promise<T | null> {
    return (await this.docs.findOne({ _id: docId })) as unknown as T | null;
  }

  private async hasNewerClaim(doc: T | null): Promise<boolean> {
    if (!doc) return false;
    return (await this.claimDocs.findOne({ _id: VersionedCollection.claimId(doc._id, doc.version + 1) }, { projection: { _id: 1 } })) !== null;
  }

  /** `stale`: the stored document has lagged its claims for longer than repairAfterMs. */
  private async readRolledForward(docId: string): Promise<{ doc: T | null; stale: boolean }> {
    const stored = await this.readStored(docId);
    if (!stored) return { doc: null, stale: false };
    let doc = stored;
    let newest: Date | undefined;
    for (;;) {
      const claim = (await this.claimDocs.findOne({ _id: VersionedCollection.claimId(docId, doc.version + 1) })) as unknown as Claim<T> | null;
      if (!claim) break;
      doc = { ...claim.state, _id: docId, version: claim.version } as unknown as T;
      newest = claim.at;
    }
    return { doc, stale: newest !== undefined && Date.now() - newest.getTime() > this.repairAfterMs };
  }

  /**
   * Writes a committed state over the document unless it is already newer. The version filter is
   * exact on MongoDB; on FerretDB it only narrows the window, and a document that a stalled writer
   * set back is rolled forward again by the next reader or writer (the claims are the truth).
   */
  private async writeBack(doc: T): Promise<void> {
    await this.docs.replaceOne({ _id: doc._id, version: { $lt: doc.version } }, doc as unknown as { _id: string });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
