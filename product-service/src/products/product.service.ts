import { randomUUID } from 'node:crypto';
import { createEvent, formatMinorUnits, type CloudEvent, type EventData, type EventType } from '@oip/contracts';
import { contextCausation } from '@oip/platform';
import { productErrors } from './product.errors';
import type { ProductRecord } from './product.model';
import type { ProductRepository, ProductState } from './product.repository';
import type { CreateProductInput, ListProductsInput, UpdateProductInput } from './product.schemas';
import { toMinorUnits } from './price';

const SOURCE = '/product-service';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Viewer {
  admin: boolean;
}

export type ProductView = Record<string, unknown>;

/** Something to wake when events were written (the outbox relay). */
export interface OutboxNudge {
  nudge(): void;
}

function event<T extends EventType>(type: T, data: EventData<T>, subject: string): CloudEvent<T> {
  return createEvent(type, data, { source: SOURCE, subject, ...contextCausation() });
}

function stateOf(record: ProductRecord): ProductState {
  const { _id: _id, version: _version, ...state } = record;
  return state;
}

/** The catalogue's use cases. Deleting is soft: the product stays for history but is not sold or listed. */
export class ProductService {
  constructor(
    private readonly repository: ProductRepository,
    private readonly outbox: OutboxNudge,
  ) {}

  async create(input: CreateProductInput): Promise<ProductView> {
    const id = randomUUID();
    const now = new Date();
    const priceMinor = toMinorUnits(input.price);
    const created = event(
      'product_created',
      { productId: id, sku: input.sku, name: input.name, price: formatMinorUnits(priceMinor), currency: input.currency },
      id,
    );
    // The product and its product_created event are one insert: both exist or neither does.
    const record = await this.repository.create({
      _id: id,
      name: input.name,
      nameKey: input.name.toLowerCase(),
      ...(input.description !== undefined ? { description: input.description } : {}),
      priceMinor,
      currency: input.currency,
      ...(input.category !== undefined ? { category: input.category } : {}),
      sku: input.sku,
      active: input.active,
      deletedAt: null,
      createdAt: now,
      updatedAt: now,
      outbox: [created],
    });
    this.outbox.nudge();
    return this.repository.toView(record);
  }

  async get(id: string, viewer: Viewer): Promise<ProductView> {
    // Shoppers' reads (the hot path, and what order-service prices from) see the product as last
    // written, like the listing; an admin, who makes the changes, sees and repairs the newest one.
    const find = (productId: string) => (viewer.admin ? this.repository.findById(productId) : this.repository.findWritten(productId));
    const record = UUID.test(id) ? await find(id) : null;
    // Deleted and inactive products are not for sale: only admins still see them.
    if (!record || (!viewer.admin && !record.active)) throw productErrors.notFound(id);
    return this.repository.toView(record);
  }

  async list(query: ListProductsInput, viewer: Viewer): Promise<{ items: ProductView[]; page: number; limit: number; total: number }> {
    const minPriceMinor = query.minPrice !== undefined ? toMinorUnits(query.minPrice) : undefined;
    const maxPriceMinor = query.maxPrice !== undefined ? toMinorUnits(query.maxPrice) : undefined;
    if (minPriceMinor !== undefined && maxPriceMinor !== undefined && minPriceMinor > maxPriceMinor) throw productErrors.priceRange();
    const descending = query.sort.startsWith('-');
    const key = descending ? query.sort.slice(1) : query.sort;
    const field = key === 'name' ? 'nameKey' : key === 'price' ? 'priceMinor' : 'createdAt';
    const { items, total } = await this.repository.list({
      includeInactive: viewer.admin && query.includeInactive,
      ...(query.category !== undefined ? { category: query.category } : {}),
      ...(query.q !== undefined ? { text: query.q } : {}),
      ...(minPriceMinor !== undefined ? { minPriceMinor } : {}),
      ...(maxPriceMinor !== undefined ? { maxPriceMinor } : {}),
      sort: { field, direction: descending ? -1 : 1 },
      skip: (query.page - 1) * query.limit,
      limit: query.limit,
    });
    return { items: items.map((item) => this.repository.toView(item)), page: query.page, limit: query.limit, total };
  }

  async update(id: string, input: UpdateProductInput): Promise<ProductView> {
    if (!UUID.test(id)) throw productErrors.notFound(id);
    const record = await this.repository.update(id, (current) => {
      if (current.deletedAt) throw productErrors.deleted(id);
      const next: ProductState = { ...stateOf(current), updatedAt: new Date() };
      if (input.name !== undefined) {
        next.name = input.name;
        next.nameKey = input.name.toLowerCase();
      }
      if (input.description !== undefined) next.description = input.description;
      if (input.price !== undefined) next.priceMinor = toMinorUnits(input.price);
      if (input.currency !== undefined) next.currency = input.currency;
      if (input.category !== undefined) next.category = input.category;
      if (input.active !== undefined) next.active = input.active;
      return next;
    });
    return this.repository.toView(record);
  }

  /** Soft delete; deleting again is a no-op (204, no second event). */
  async delete(id: string): Promise<void> {
    if (!UUID.test(id)) throw productErrors.notFound(id);
    let emitted = false;
    await this.repository.update(id, (current) => {
      if (current.deletedAt) return undefined;
      emitted = true;
      const now = new Date();
      const deleted = event('product_deleted', { productId: id, sku: current.sku }, id);
      // The soft delete and its product_deleted event are one write.
      return { ...stateOf(current), active: false, deletedAt: now, updatedAt: now, outbox: [...current.outbox, deleted] };
    });
    if (emitted) this.outbox.nudge();
  }
}
