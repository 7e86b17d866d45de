import { EntityId, PageQuery, safeText } from '@oip/platform';
import { z } from 'zod';

/** Quantities are whole units, positive, and bounded so sums stay exact. */
export const MAX_QUANTITY = 1_000_000;
const Quantity = z.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be positive').max(MAX_QUANTITY);
const Reference = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[\w.:-]+$/, 'letters, digits, "_", ".", ":" and "-"');

export const ProductIdParams = z.object({ productId: EntityId });

export const SetQuantityBody = z.strictObject({
  quantity: z.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must not be negative').max(MAX_QUANTITY),
  lowStockThreshold: z.number().int().min(0).max(MAX_QUANTITY).optional(),
});

/** POST /inventory: the stock record of a catalogue product, created when missing, set either way. */
export const CreateStockBody = SetQuantityBody.extend({ productId: EntityId });

export const AdjustBody = z.strictObject({
  delta: z
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(-MAX_QUANTITY)
    .max(MAX_QUANTITY)
    .refine((delta) => delta !== 0, { error: 'must not be zero' })
    // The refinement is invisible to the OpenAPI document; this says the same there.
    .meta({ not: { const: 0 } }),
  reason: safeText().trim().min(1).max(200),
});

export const HoldBody = z.strictObject({ quantity: Quantity, reference: Reference });

export const ListStockQuery = PageQuery.extend({
  includeRetired: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
});

export const StockView = z.object({
  productId: z.string(),
  sku: z.string(),
  name: z.string().optional(),
  onHand: z.number(),
  reserved: z.number(),
  available: z.number(),
  lowStockThreshold: z.number(),
  /** Holds reserved and not yet released or deducted; each is in the movements, by reference. */
  openHolds: z.number(),
  active: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const StockChangeView = StockView.extend({ applied: z.boolean() });

/** `created`: this request made the record (product_created had not been handled yet). */
export const StockCreatedView = StockChangeView.extend({ created: z.boolean() });

export const StockListView = z.object({
  items: z.array(
    StockView.extend({
      product: z.object({ name: z.string(), price: z.string(), currency: z.string(), active: z.boolean() }).nullable(),
      productLookup: z.enum(['ok', 'not_found', 'unavailable']),
    }),
  ),
  page: z.number(),
  limit: z.number(),
  total: z.number(),
});
