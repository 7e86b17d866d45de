import { ClaimRejectedError, DocumentContendedError, isDuplicateKey, VersionedCollection, type StringIdCollection } from '@oip/platform/mongo';
import { isStockError, stockErrors } from './stock.errors';
import type { MovementRecord, StockModels, StockRecord } from './stock.model';
import { decide, type StockOperation, type StockState } from './stock.operations';

export interface ApplyResult {
  stock: StockRecord;
  /** False when the operation had already taken effect (same reference) or changed nothing. */
  applied: boolean;
}

export interface Correlation {
  correlationId?: string | undefined;
  causationId?: string | undefined;
}

/**
 * The only file that touches mongoose for stock. Every change is committed by one atomic write —
 * the insert of its movement, keyed `<productId>:<version>` and unique per operation key — after
 * the rules (stock.operations.ts) approved it against the version it was computed from. A plain
 * conditional `updateOne` would be enough on MongoDB, but FerretDB 1.x applies those non-atomically
 * (see VersionedCollection for the measurements), so the movement insert is the commit point on both.
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

  async apply(productId: string, operation: StockOperation, correlation?: Correlation): Promise<ApplyResult> {
    try {
      return await this.versioned.update<ApplyResult>(productId, (current) => {
        if (!current) throw stockErrors.notFound(productId);
        const outcome = decide(current, operation, new Date(), correlation);
        if (outcome.kind === 'unchanged') return { kind: 'unchanged', result: { stock: current, applied: false } };
        return {
          kind: 'change',
          next: outcome.next,
          claim: { ...outcome.movement },
          result: (committed) => ({ stock: committed, applied: true }),
        };
      });
    } catch (error) {
      if (error instanceof ClaimRejectedError) return { stock: await this.getOrThrow(productId), applied: false };
      if (error instanceof DocumentContendedError) throw stockErrors.contended(productId);
      // A hold that is gone because this very reference already released or deducted it: a repeat.
      if (isStockError(error, 'STOCK.HOLD_NOT_FOUND') && (operation.kind === 'release' || operation.kind === 'deduct')) {
        if (await this.wasDone(productId, [`release:${operation.reference}`, `deduct:${operation.reference}`])) {
          return { stock: await this.getOrThrow(productId), applied: false };
        }
      }
      throw error;
    }
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

  async wasDone(productId: string, opKeys: string[]): Promise<boolean> {
    return (await this.models.movements.exists({ docId: productId, opKey: { $in: opKeys } })) !== null;
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
