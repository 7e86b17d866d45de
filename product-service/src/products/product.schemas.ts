import { Currency } from '@oip/contracts';
import { EntityId, PageQuery, safeText } from '@oip/platform';
import { z } from 'zod';
import { MAX_PRICE_MINOR, PRICE_PATTERN } from './price';

/** A decimal string with at most two places ("12.50"), or whole minor units (1250) — never a float. */
export const PriceInput = z.union(
  [
    z.string().regex(PRICE_PATTERN, 'must be a decimal string with at most 2 decimals, e.g. "12.50"'),
    z.number().int('must be a decimal string such as "12.50" or whole minor units').min(0).max(MAX_PRICE_MINOR),
  ],
  { error: 'must be a decimal string such as "12.50" or whole minor units' },
);

const Name = safeText().trim().min(1).max(200);
const Description = safeText().trim().max(5000);
const Category = safeText().trim().min(1).max(100);
const Sku = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-"');

export const CreateProductBody = z.strictObject({
  name: Name,
  description: Description.optional(),
  price: PriceInput,
  currency: Currency.default('EUR'),
  category: Category.optional(),
  sku: Sku,
  active: z.boolean().default(true),
});
export type CreateProductInput = z.infer<typeof CreateProductBody>;

/** The SKU is the product's identity towards inventory and is not changed after creation. */
export const UpdateProductBody = z
  .strictObject({
    name: Name.optional(),
    description: Description.optional(),
    price: PriceInput.optional(),
    currency: Currency.optional(),
    category: Category.optional(),
    active: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'at least one field is required' })
  // The refinement is invisible to the OpenAPI document; this says the same there.
  .meta({ minProperties: 1 });
export type UpdateProductInput = z.infer<typeof UpdateProductBody>;

/** PUT: every field PATCH may change, all of them given; the SKU stays as created. */
export const ReplaceProductBody = z.strictObject({
  name: Name,
  description: Description,
  price: PriceInput,
  currency: Currency,
  category: Category,
  active: z.boolean(),
});
export type ReplaceProductInput = z.infer<typeof ReplaceProductBody>;

export const ProductIdParams = z.object({ id: EntityId });

export const sortOptions = ['name', '-name', 'price', '-price', 'createdAt', '-createdAt'] as const;

const DecimalQuery = z.string().regex(PRICE_PATTERN, 'must be a decimal string such as "12.50"');

export const ListProductsQuery = PageQuery.extend({
  category: Category.optional(),
  q: safeText().trim().min(1).max(100).optional(),
  minPrice: DecimalQuery.optional(),
  maxPrice: DecimalQuery.optional(),
  sort: z.enum(sortOptions).default('-createdAt'),
  /** Admins only: include inactive and deleted products. */
  includeInactive: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
});
export type ListProductsInput = z.infer<typeof ListProductsQuery>;

export const ProductView = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  price: z.string(),
  currency: z.string(),
  category: z.string().optional(),
  sku: z.string(),
  active: z.boolean(),
  deletedAt: z.string().nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ProductPage = z.object({ items: z.array(ProductView), page: z.number(), limit: z.number(), total: z.number() });
