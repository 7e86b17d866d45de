import type { Causation } from '@oip/contracts';
import { ClaimRejectedError, DocumentContendedError, isDuplicateKey, VersionedCollection, type StringIdCollection } from '@oip/platform/mongo';
import { isStockError, stockErrors } from './stock.errors';
import type { MovementRecord, StockModels, StockRecord } from './stock.model';
import { closeKey, decide, reserveKey, type Reservation, type StockOperation, type StockState } from './stock.operations';

export interface ApplyResult {
  stock: StockRecord;
  /** False when the operation had already taken effect (same reference) or changed nothing. */
  applied: boolean;
  /** For a reserve: whether the reference's hold is open now (newly or from before). */
  held?: boolean;
}

/**
 * The only file that touches mongoose for stock. Every change is committed by one atomic write —
 * the insert of its movement, keyed `<productId>:<version>` and unique per operation key — after
 * the rules (stock.operations.ts) approved it against the version it was computed from. A plain
 * conditional `updateOne` would be enough on MongoDB, but FerretDB 1.x applies those non-atomically
 * (docs/decisions/0003-commit-by-unique-insert.md), so the movement insert is the commit point on both.
 */
export class StockRepository {
  private readonly versioned: VersionedCollection<StockRecord>;

  constructor(private readonly models: StockModels) {
    this.versioned = new VersionedCollection<StockRecord>(this.raw, models.movements.collection as unknown as StringIdCollection);
  }

  /** The raw collection, for the outbox relay's query. */
  get raw(): StringIdCollection {
    return this.models.stock.collection as unknown as StringIdCollection;
  }

  /** Creates the record of a new product; false when it already exists (a redelivered event). */
  async create(stock: StockState & { _id: string }): Promise<boolean> {
    try {
      await this.versioned.insert(stock);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  get(productId: string): Promise<StockRecord | null> {
    return this.versioned.read(productId);
  }

  async apply(productId: string, operation: StockOperation, causation?: Causation): Promise<ApplyResult> {
    const closes = operation.kind === 'release' || operation.kind === 'deduct';
    try {
      return await this.versioned.update<ApplyResult>(productId, async (current) => {
        if (!current) throw stockErrors.notFound(productId);
        const reservation = closes ? await this.reservationOf(productId, operation.reference) : undefined;
        const outcome = decide(current, operation, new Date(), causation, reservation);
        if (outcome.kind === 'unchanged') return { kind: 'unchanged', result: { stock: current, applied: false } };
        return {
          kind: 'change',
          next: outcome.next,
          claim: { ...outcome.movement },
          result: (committed) => ({ stock: committed, applied: true, ...(operation.kind === 'reserve' ? { held: true } : {}) }),
        };
      });
    } catch (error) {
      // The operation's key was taken before: a repeat (or the hold was closed by the other kind).
      if (error instanceof ClaimRejectedError) return this.repeated(productId, operation);
      if (error instanceof DocumentContendedError) throw stockErrors.contended(productId);
      // A reserve refused for stock it already holds (a redelivered order after the stock ran out).
      if (operation.kind === 'reserve' && isStockError(error, 'STOCK.INSUFFICIENT', 'STOCK.PRODUCT_RETIRED') && (await this.reservationOf(productId, operation.reference))) {
        return this.repeated(productId, operation);
      }
      throw error;
    }
  }

  /** The reserve movement of a reference, i.e. its hold (open or closed); null when never reserved. */
  async reservationOf(productId: string, reference: string): Promise<Reservation | null> {
    const movement = await this.models.movements.findOne({ docId: productId, opKey: reserveKey(reference) }, { reservedDelta: 1 }).lean<Pick<MovementRecord, 'reservedDelta'>>();
    return movement ? { quantity: movement.reservedDelta } : null;
  }

  private async repeated(productId: string, operation: StockOperation): Promise<ApplyResult> {
    const stock = await this.getOrThrow(productId);
    if (operation.kind !== 'reserve') return { stock, applied: false };
    const closed = (await this.models.movements.exists({ docId: productId, opKey: closeKey(operation.reference) })) !== null;
    return { stock, applied: false, held: !closed };
  }

  async list(options: { includeRetired: boolean; skip: number; limit: number }): Promise<{ items: StockRecord[]; total: number }> {
    const query = options.includeRetired ? {} : { active: true };
    const [items, total] = await Promise.all([
      this.models.stock.find(query).sort({ productId: 1 }).skip(options.skip).limit(options.limit).lean<StockRecord[]>(),
      this.models.stock.countDocuments(query),
    ]);
    return { items, total };
  }

  /** The history of a product's stock, newest first, without bookkeeping entries. */
  async movements(productId: string, options: { skip: number; limit: number }): Promise<{ items: MovementRecord[]; total: number }> {
    const query = { docId: productId, kind: { $ne: 'outbox-sent' } };
    const [items, total] = await Promise.all([
      this.models.movements.find(query, { state: 0 }).sort({ version: -1 }).skip(options.skip).limit(options.limit).lean<MovementRecord[]>(),
      this.models.movements.countDocuments(query),
    ]);
    return { items, total };
  }

  toView(record: StockRecord): Record<string, unknown> {
    return this.models.stock.hydrate(record).toJSON();
  }

  private async getOrThrow(productId: string): Promise<StockRecord> {
    const stock = await this.get(productId);
    if (!stock) throw stockErrors.notFound(productId);
    return stock;
  }
}
