import type { CloudEvent } from '@oip/contracts';
import { OUTBOX_INDEX } from '@oip/platform/mongo';
import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One stock record per product (`_id` is the product id). `available` is kept equal to
 * `onHand - reserved` by every change, so rules are plain comparisons on stored fields.
 * `outbox` holds stock_low events until the broker confirmed them (document outbox).
 *
 * Holds are not kept in the record: a hold *is* its `reserve:<reference>` movement, and it is closed
 * by the one `close:<reference>` movement (a release or a deduction) that the unique operation key
 * allows. The record only counts them (`reserved`, `openHolds`), so it stays the same small size
 * however many orders wait to ship: each change rewrites it and copies it into the history
 * (docs/decisions/0005-holds-in-the-history.md).
 */
export interface StockRecord {
  _id: string;
  version: number;
  productId: string;
  sku: string;
  name?: string;
  onHand: number;
  reserved: number;
  available: number;
  lowStockThreshold: number;
  /** Holds reserved and not yet released or deducted. */
  openHolds: number;
  active: boolean;
  outbox: CloudEvent[];
  /** True while `outbox` holds anything (kept by VersionedCollection; the relay's query). */
  outboxPending?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A movement: one committed change of a stock record, with the state it produced. Inserting it
 * is what commits the change (see VersionedCollection): `_id` is `<productId>:<version>`, and the
 * unique `(docId, opKey)` makes each reference-keyed operation happen once: `reserve:<ref>` opens
 * a hold, `close:<ref>` releases or deducts it, `deduct:<ref>` takes stock without a hold.
 */
export interface MovementRecord {
  _id: string;
  docId: string;
  version: number;
  at: Date;
  state: unknown;
  opKey: string;
  kind: string;
  /** Change of on-hand stock. */
  delta: number;
  /** Change of reserved stock. */
  reservedDelta: number;
  reason?: string;
  reference?: string;
}

const stockSchema = new Schema<StockRecord>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    productId: { type: String, required: true },
    sku: { type: String, required: true },
    name: { type: String },
    onHand: { type: Number, required: true },
    reserved: { type: Number, required: true },
    available: { type: Number, required: true },
    lowStockThreshold: { type: Number, required: true },
    openHolds: { type: Number, required: true, default: 0 },
    active: { type: Boolean, required: true },
    outbox: { type: Schema.Types.Mixed, default: [] },
    outboxPending: { type: Boolean, default: false },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  {
    collection: 'stock',
    versionKey: false,
    toJSON: {
      transform: (_doc, ret: Record<string, unknown>) => {
        const view: Record<string, unknown> = { ...ret };
        for (const field of ['_id', '__v', 'outbox', 'outboxPending', 'version']) delete view[field];
        return view;
      },
    },
  },
);
stockSchema.index({ productId: 1 }, { unique: true });
stockSchema.index({ active: 1, productId: 1 });
stockSchema.index(OUTBOX_INDEX);

const movementSchema = new Schema<MovementRecord>(
  {
    _id: String,
    docId: String,
    version: Number,
    at: Date,
    state: Schema.Types.Mixed,
    opKey: String,
    kind: String,
    delta: Number,
    reservedDelta: Number,
    reason: String,
    reference: String,
  },
  { collection: 'stock_movements', versionKey: false },
);
movementSchema.index({ docId: 1, opKey: 1 }, { unique: true });
movementSchema.index({ docId: 1, version: 1 });

export interface StockModels {
  stock: Model<StockRecord>;
  movements: Model<MovementRecord>;
}

export async function stockModels(connection: Connection): Promise<StockModels> {
  const stock = connection.model<StockRecord>('Stock', stockSchema);
  const movements = connection.model<MovementRecord>('StockMovement', movementSchema);
  // The unique indexes are what make creation and reference-keyed operations happen once.
  await Promise.all([stock.init(), movements.init()]);
  return { stock, movements };
}
