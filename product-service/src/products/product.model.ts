import { formatMinorUnits, type CloudEvent } from '@oip/contracts';
import { OUTBOX_INDEX } from '@oip/platform/mongo';
import { Schema, type Connection, type Model } from 'mongoose';

/** A product as stored. `outbox` holds events not yet confirmed by the broker (document outbox). */
export interface ProductRecord {
  _id: string;
  version: number;
  name: string;
  /** Lower-cased name, for case-insensitive sorting (FerretDB has no collation). */
  nameKey: string;
  description?: string;
  priceMinor: number;
  currency: string;
  category?: string;
  sku: string;
  active: boolean;
  deletedAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
  outbox: CloudEvent[];
  /** True while `outbox` holds anything (kept by VersionedCollection; the relay's query). */
  outboxPending?: boolean;
}

const productSchema = new Schema<ProductRecord>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    name: { type: String, required: true },
    nameKey: { type: String, required: true },
    description: { type: String },
    priceMinor: { type: Number, required: true },
    currency: { type: String, required: true },
    category: { type: String },
    sku: { type: String, required: true },
    active: { type: Boolean, required: true },
    deletedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    outbox: { type: Schema.Types.Mixed, default: [] },
    outboxPending: { type: Boolean, default: false },
  },
  { collection: 'products', versionKey: false },
);
productSchema.index({ sku: 1 }, { unique: true });

/**
 * What a client sees: `id`, the price as a decimal string, nothing internal. Picked field by field
 * from the stored record (no mongoose document is built for it: a read is a lookup and this).
 */
export function productView(record: ProductRecord): Record<string, unknown> {
  return {
    id: record._id,
    name: record.name,
    ...(record.description !== undefined ? { description: record.description } : {}),
    price: formatMinorUnits(record.priceMinor),
    currency: record.currency,
    ...(record.category !== undefined ? { category: record.category } : {}),
    sku: record.sku,
    active: record.active,
    deletedAt: record.deletedAt ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
productSchema.index({ active: 1, category: 1, priceMinor: 1 });
productSchema.index({ nameKey: 1 });
productSchema.index({ createdAt: 1 });
productSchema.index(OUTBOX_INDEX);

/** Revisions: one per committed change (see VersionedCollection); the product's history. */
interface RevisionRecord {
  _id: string;
  docId: string;
  version: number;
  at: Date;
  state: unknown;
}
const revisionSchema = new Schema<RevisionRecord>(
  { _id: String, docId: String, version: Number, at: Date, state: Schema.Types.Mixed },
  { collection: 'product_revisions', versionKey: false },
);
revisionSchema.index({ docId: 1, version: 1 });

export interface ProductModels {
  products: Model<ProductRecord>;
  revisions: Model<RevisionRecord>;
}

export async function productModels(connection: Connection): Promise<ProductModels> {
  const products = connection.model<ProductRecord>('Product', productSchema);
  const revisions = connection.model<RevisionRecord>('ProductRevision', revisionSchema);
  // Indexes first: the unique SKU index is what refuses duplicates.
  await Promise.all([products.init(), revisions.init()]);
  return { products, revisions };
}
