import { createEvent, deterministicEventId, type CloudEvent, type EventData, type EventType } from '@oip/contracts';
import { contextCausation, type EventPublisher } from '@oip/platform';
import type { Logger } from 'pino';
import { isStockError } from './stock.errors';
import type { StockService } from './stock.service';

const SOURCE = '/inventory-service';

type Line = { productId: string; quantity: number };

/** One line per product (an order may name a product twice), in a fixed order. */
function linesOf(items: Line[]): Line[] {
  const byProduct = new Map<string, number>();
  for (const item of items) byProduct.set(item.productId, (byProduct.get(item.productId) ?? 0) + item.quantity);
  return [...byProduct].sort(([a], [b]) => a.localeCompare(b)).map(([productId, quantity]) => ({ productId, quantity }));
}

/**
 * Saga step 2 and 4 for inventory: an order's stock is reserved for all its lines or for none,
 * as holds keyed by the order id in each product's stock history. Each hold is one atomic, idempotent
 * operation; when a line cannot be held the lines already held are released (compensation). The
 * answers (stock_reserved / stock_rejected) have ids derived from the order id, so a redelivered
 * order_created that publishes again is deduplicated downstream. A hold reference is single-use,
 * so a redelivery after a rejection finds the released holds "used" and rejects again.
 */
export class OrderStockService {
  constructor(
    private readonly stock: StockService,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
  ) {}

  async reserveOrder(data: EventData<'order_created'>): Promise<void> {
    const orderId = data.orderId;
    const lines = linesOf(data.items);
    const short: Array<{ productId: string; requested: number; available: number }> = [];
    for (const line of lines) {
      try {
        const { stock, held } = await this.stock.apply(line.productId, { kind: 'reserve', quantity: line.quantity, reference: orderId });
        // Not held: this order's hold on it was released before (a redelivery after a rejection).
        if (!held) short.push({ productId: line.productId, requested: line.quantity, available: stock.available });
      } catch (error) {
        if (!isStockError(error, 'STOCK.INSUFFICIENT', 'STOCK.NOT_FOUND', 'STOCK.PRODUCT_RETIRED')) throw error;
        short.push({ productId: line.productId, requested: line.quantity, available: await this.availableOf(line.productId) });
      }
      if (short.length > 0) break;
    }
    if (short.length === 0) {
      await this.publish('stock_reserved', { orderId, items: lines }, orderId);
      return;
    }
    for (const line of lines) await this.releaseQuietly(line.productId, orderId);
    // The lines after the first short one were never tried: name those that are short too, so the
    // customer learns everything that is missing at once (read only, nothing is held for them).
    const tried = new Set(short.map((item) => item.productId));
    for (const line of lines.slice(lines.findIndex((candidate) => tried.has(candidate.productId)) + 1)) {
      // No stock record: short of everything. Stock that cannot be read now: left out rather than
      // reported short by mistake.
      const stock = await this.stock.get(line.productId).catch((error: unknown) => (isStockError(error, 'STOCK.NOT_FOUND') ? null : undefined));
      if (stock === undefined) continue;
      const available = stock === null || stock['active'] === false ? 0 : Math.max(0, Number(stock['available'] ?? 0));
      if (available < line.quantity) short.push({ productId: line.productId, requested: line.quantity, available });
    }
    await this.publish('stock_rejected', { orderId, reason: 'insufficient stock', shortItems: short }, orderId);
  }

  /** order_cancelled: the order's holds go back to available stock (none held: nothing to do). */
  async releaseOrder(data: EventData<'order_cancelled'>): Promise<void> {
    for (const line of linesOf(data.items)) await this.releaseQuietly(line.productId, data.orderId);
  }

  /** order_shipped: each hold becomes a deduction of on-hand stock. */
  async deductOrder(data: EventData<'order_shipped'>): Promise<void> {
    for (const line of linesOf(data.items)) {
      try {
        await this.stock.apply(line.productId, { kind: 'deduct', reference: data.orderId, holdOnly: true });
      } catch (error) {
        if (!isStockError(error, 'STOCK.HOLD_NOT_FOUND', 'STOCK.NOT_FOUND')) throw error;
        // Shipping something never held is an order-service bug; stock is not taken blindly.
        this.logger.error({ orderId: data.orderId, productId: line.productId, code: error.code }, 'order shipped without a stock hold; nothing deducted');
      }
    }
  }

  private async releaseQuietly(productId: string, orderId: string): Promise<void> {
    try {
      await this.stock.apply(productId, { kind: 'release', reference: orderId });
    } catch (error) {
      if (!isStockError(error, 'STOCK.HOLD_NOT_FOUND', 'STOCK.NOT_FOUND')) throw error;
    }
  }

  private async availableOf(productId: string): Promise<number> {
    try {
      const view = await this.stock.get(productId);
      return Math.max(0, Number(view['available'] ?? 0));
    } catch {
      return 0;
    }
  }

  private async publish<T extends EventType>(type: T, data: EventData<T>, orderId: string): Promise<void> {
    const event: CloudEvent<T> = createEvent(type, data, {
      source: SOURCE,
      subject: orderId,
      id: deterministicEventId(`${type}:${orderId}`),
      ...contextCausation(),
    });
    await this.publisher.publish(event);
  }
}
