import { Injectable } from '@nestjs/common';
import type { CloudEvent } from '@oip/contracts';
import { enqueueEvent, OUTBOX_TABLE, transactionManager } from '@oip/platform/outbox';
import { isUniqueViolation } from '@oip/platform/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { OrderItemEntity } from './order-item.entity';
import type { CancelReason, OrderStatus } from './order-status';
import type { OrderLineRecord, OrderRecord } from './order-view';
import { OrderEntity, type StockOutcome, type StockRejection } from './order.entity';

const IDEMPOTENCY_KEY_CONSTRAINT = 'orders_customer_idempotency_key';

export interface NewOrder {
  id: string;
  customerId: string;
  customerEmail: string;
  total: string;
  currency: string;
  idempotencyKey: string | null;
  items: OrderLineRecord[];
}

export interface OrderFilter {
  customerId?: string | undefined;
  status?: OrderStatus | undefined;
}

/** The customer already placed an order with this Idempotency-Key (a concurrent retry won). */
export class IdempotencyKeyTaken extends Error {
  constructor() {
    super('idempotency key taken');
    this.name = 'IdempotencyKeyTaken';
  }
}

/** A stale order the sweeper could not cancel (its event refused by the contract, say); it stays PENDING. */
export class UncancellableOrder extends Error {
  constructor(
    readonly orderId: string,
    cause: unknown,
  ) {
    super(`order ${orderId} could not be cancelled: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'UncancellableOrder';
  }
}

/**
 * The only place that reads and writes `orders` and `order_items`, and that writes the outbox.
 * Returns plain records, never entities. Inside an event handler every query runs in the event's
 * transaction (transactionManager), so the status change, its outbox row and the inbox row that
 * marks the event as handled commit together.
 */
@Injectable()
export class OrdersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get manager(): EntityManager {
    return transactionManager(this.dataSource);
  }

  /** Runs `work` in the transaction in progress (an event's), or in a new one. */
  private inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const current = this.manager;
    if (current.queryRunner?.isTransactionActive) return work(current);
    return this.dataSource.transaction(work);
  }

  /** The order, its lines and its order_created event, in one transaction: all commit, or none. */
  async createWithEvent(order: NewOrder, event: CloudEvent): Promise<void> {
    try {
      await this.inTransaction(async (manager) => {
        await manager.insert(OrderEntity, {
          id: order.id,
          customerId: order.customerId,
          customerEmail: order.customerEmail,
          status: 'PENDING',
          total: order.total,
          currency: order.currency,
          idempotencyKey: order.idempotencyKey,
        });
        await manager.insert(
          OrderItemEntity,
          order.items.map((line, position) => ({ orderId: order.id, ...line, position })),
        );
        await enqueueEvent(manager, event);
      });
    } catch (error) {
      throw isUniqueViolation(error, IDEMPOTENCY_KEY_CONSTRAINT) ? new IdempotencyKeyTaken() : error;
    }
  }

  async findById(id: string): Promise<OrderRecord | null> {
    const order = await this.manager.findOne(OrderEntity, { where: { id } });
    if (!order) return null;
    const [withItems] = await this.withItems(this.manager, [order]);
    return withItems ?? null;
  }

  async findByIdempotencyKey(customerId: string, idempotencyKey: string): Promise<OrderRecord | null> {
    const order = await this.manager.findOne(OrderEntity, { where: { customerId, idempotencyKey } });
    if (!order) return null;
    const [withItems] = await this.withItems(this.manager, [order]);
    return withItems ?? null;
  }

  /** Newest first. */
  async list(filter: OrderFilter, page: number, limit: number): Promise<{ items: OrderRecord[]; total: number }> {
    const where: Partial<Pick<OrderEntity, 'customerId' | 'status'>> = {};
    if (filter.customerId) where.customerId = filter.customerId;
    if (filter.status) where.status = filter.status;
    const [orders, total] = await this.manager.findAndCount(OrderEntity, {
      where,
      order: { createdAt: 'DESC', id: 'ASC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    return { items: await this.withItems(this.manager, orders), total };
  }

  /**
   * Moves the order from `from` to `to` if — and only if — it is still `from`: a conditional
   * UPDATE, so of two concurrent changes exactly one wins; the other gets null and must read the
   * order again. The events `eventsOf` builds from the changed order are enqueued in the same
   * transaction. A cancellation records its reason.
   */
  async transition(
    id: string,
    from: OrderStatus,
    to: OrderStatus,
    eventsOf: (order: OrderRecord) => CloudEvent[],
    cancelReason?: CancelReason,
  ): Promise<OrderRecord | null> {
    return this.inTransaction(async (manager) => {
      const [rows] = await manager.query<[Array<{ id: string }>, number]>(
        `UPDATE orders SET status = $3, cancel_reason = $4, version = version + 1, updated_at = now() WHERE id = $1 AND status = $2 RETURNING id`,
        [id, from, to, cancelReason ?? null],
      );
      if (rows.length === 0) return null;
      const order = await manager.findOneOrFail(OrderEntity, { where: { id } });
      const [changed] = await this.withItems(manager, [order]);
      if (!changed) return null;
      for (const event of eventsOf(changed)) await enqueueEvent(manager, event);
      return changed;
    });
  }

  /** Enqueues the events of an order the sweeper just changed, in its transaction. */
  private async announce(manager: EntityManager, id: string, eventsOf: (order: OrderRecord) => CloudEvent[]): Promise<OrderRecord> {
    try {
      const [order] = await this.withItems(manager, [await manager.findOneByOrFail(OrderEntity, { id })]);
      if (!order) throw new Error('the order vanished inside its own transaction');
      for (const event of eventsOf(order)) await enqueueEvent(manager, event);
      return order;
    } catch (error) {
      throw new UncancellableOrder(id, error);
    }
  }

  /**
   * Cancels as the system, for `timeout`, the oldest order PENDING since more than
   * `olderThanSeconds` (but none of `excluded`), and enqueues the events `eventsOf` builds for it, in
   * one transaction; null when there is none. The row is picked FOR UPDATE SKIP LOCKED (one that
   * another transaction holds — an answer being recorded, a person's cancel, another replica's
   * sweep — is left to it) and the UPDATE checks the status again, so with any number of replicas
   * each order is cancelled once, and never after its answer was recorded. One order per
   * transaction: an order whose event cannot be built fails alone, as UncancellableOrder.
   */
  async cancelStalePending(olderThanSeconds: number, excluded: readonly string[], eventsOf: (order: OrderRecord) => CloudEvent[]): Promise<OrderRecord | null> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query<[Array<{ id: string }>, number]>(
        `UPDATE orders SET status = 'CANCELLED', cancel_reason = 'timeout', cancel_announced = true, version = version + 1, updated_at = now()
          WHERE status = 'PENDING' AND id = (
            SELECT id FROM orders
             WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1) AND NOT (id = ANY($2::uuid[]))
             ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING id`,
        [olderThanSeconds, excluded],
      );
      const id = rows[0]?.id;
      return id ? this.announce(manager, id, eventsOf) : null;
    });
  }

  /**
   * Marks as announced the oldest order a person cancelled while it was PENDING, more than
   * `olderThanSeconds` ago, that inventory has still not answered (but none of `excluded`), and
   * enqueues the events `eventsOf` builds for it, in one transaction; null when there is none.
   * Picked and re-checked like cancelStalePending, so an answer being recorded wins the row.
   */
  async announceUnansweredCancellation(olderThanSeconds: number, excluded: readonly string[], eventsOf: (order: OrderRecord) => CloudEvent[]): Promise<OrderRecord | null> {
    return this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query<[Array<{ id: string }>, number]>(
        `UPDATE orders SET cancel_announced = true, updated_at = now()
          WHERE status = 'CANCELLED' AND stock_outcome IS NULL AND NOT cancel_announced AND id = (
            SELECT id FROM orders
             WHERE status = 'CANCELLED' AND stock_outcome IS NULL AND NOT cancel_announced
               AND updated_at < now() - make_interval(secs => $1) AND NOT (id = ANY($2::uuid[]))
             ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING id`,
        [olderThanSeconds, excluded],
      );
      const id = rows[0]?.id;
      return id ? this.announce(manager, id, eventsOf) : null;
    });
  }

  /**
   * Records inventory's answer, once per order: false when the order is unknown here or already
   * has an answer (a second answer to the same order_created). The row stays locked until the
   * transaction ends, so no status change by a person interleaves with the answer's effect.
   */
  async recordStockOutcome(id: string, outcome: StockOutcome, rejection: StockRejection | null = null): Promise<boolean> {
    return this.inTransaction(async (manager) => {
      const [rows] = await manager.query<[Array<{ id: string }>, number]>(
        `UPDATE orders SET stock_outcome = $2, stock_rejection = $3, updated_at = now() WHERE id = $1 AND stock_outcome IS NULL RETURNING id`,
        [id, outcome, rejection === null ? null : JSON.stringify(rejection)],
      );
      return rows.length > 0;
    });
  }

  /** An event about the order without a status change (a cancellation announced late). */
  async enqueue(event: CloudEvent): Promise<void> {
    await this.inTransaction((manager) => enqueueEvent(manager, event));
  }

  /**
   * The same, unless an event with this (deterministic) id was enqueued before: a second conflicting
   * answer must not fail on the outbox's primary key. Should two race, the loser's transaction
   * fails on that key and its retry finds the row.
   */
  async enqueueOnce(event: CloudEvent): Promise<void> {
    await this.inTransaction(async (manager) => {
      const [present] = await manager.query<Array<{ id: string }>>(`SELECT id FROM ${OUTBOX_TABLE} WHERE id = $1`, [event.id]);
      if (!present) await enqueueEvent(manager, event);
    });
  }

  /** Orders per status, and the age of the oldest still pending (0 when none), for the metrics. */
  async statusCounts(): Promise<{ byStatus: Array<{ status: OrderStatus; count: number }>; oldestPendingSeconds: number }> {
    const byStatus = await this.dataSource.query<Array<{ status: OrderStatus; count: number }>>(`SELECT status, count(*)::int AS count FROM orders GROUP BY status`);
    const [pending] = await this.dataSource.query<Array<{ age: number }>>(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age FROM orders WHERE status = 'PENDING'`,
    );
    return { byStatus, oldestPendingSeconds: pending?.age ?? 0 };
  }

  private async withItems(manager: EntityManager, orders: OrderEntity[]): Promise<OrderRecord[]> {
    if (orders.length === 0) return [];
    const items = await manager
      .createQueryBuilder(OrderItemEntity, 'item')
      .where('item.orderId IN (:...ids)', { ids: orders.map((order) => order.id) })
      .orderBy('item.position', 'ASC')
      .getMany();
    return orders.map((order) => ({
      id: order.id,
      customerId: order.customerId,
      customerEmail: order.customerEmail,
      status: order.status,
      total: order.total,
      currency: order.currency.trim(),
      idempotencyKey: order.idempotencyKey,
      stockOutcome: order.stockOutcome,
      stockRejection: order.stockRejection,
      cancelReason: order.cancelReason,
      cancelAnnounced: order.cancelAnnounced,
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
      version: order.version,
      items: items
        .filter((item) => item.orderId === order.id)
        .map((item) => ({ productId: item.productId, name: item.name, unitPrice: item.unitPrice, quantity: item.quantity })),
    }));
  }
}
