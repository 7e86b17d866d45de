import type { CloudEvent } from '@oip/contracts';
import { OUTBOX_INDEX } from '@oip/platform/mongo';
import { Schema, type Connection, type Model } from 'mongoose';

/** A hold: stock reserved for one reference (an order id), released or deducted later. */
export interface Hold {
  reference: string;
  quantity: number;
  createdAt: Date;
}

/**
 * One stock record per product (`_id` is the product id). `available` is kept equal to
 * `onHand - reserved` by every change, so rules are plain comparisons on stored fields.
 * `outbox` holds stock_low events until the broker confirmed them (document outbox).
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
  holds: Hold[];
  active: boolean;
  outbox: CloudEvent[];
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A movement: one committed change of a stock record, with the state it produced. Inserting it
 * is what commits the change (see VersionedCollection): `_id` is `<productId>:<version>`, and the
 * unique `(docId, opKey)` makes each reference-keyed operation (`reserve:<ref>` …) happen once.
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
    holds: { type: Schema.Types.Mixed, default: [] },
    active: { type: Boolean, required: true },
    outbox: { type: Schema.Types.Mixed, default: [] },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  {
    collection: 'stock',
    versionKey: false,
    toJSON: {
      transform: (_doc, ret: Record<string, unknown>) => {
        const view: Record<string, unknown> = { ...ret };
        for (const field of ['_id', '__v', 'outbox', 'version']) delete view[field];
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
