import { Injectable } from '@nestjs/common';
import type { CloudEvent } from '@oip/contracts';
import { enqueueEvent, INBOX_TABLE, OUTBOX_TABLE, outboxRow, transactionManager, wakeOutboxRelay } from '@oip/platform/outbox';
import { isUniqueViolation } from '@oip/platform/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { OrderItemEntity } from './order-item.entity';
import type { CancelReason, OrderStatus } from './order-status';
import type { OrderLineRecord, OrderRecord } from './order-view';
import { OrderEntity, type StockOutcome, type StockRejection } from './order.entity';

const IDEMPOTENCY_KEY_CONSTRAINT = 'orders_customer_idempotency_key';

/**
 * An order row with its lines as one JSON array (prices as text, so "9.90" stays "9.90"): one round
 * trip where TypeORM's findOne and a second query for the items took two. `FROM` names the rows.
 */
const ORDER_COLUMNS = `o.*, COALESCE((SELECT json_agg(json_build_object('productId', i.product_id, 'name', i.name, 'unitPrice', i.unit_price::text, 'quantity', i.quantity) ORDER BY i.position)
  FROM order_items i WHERE i.order_id = o.id), '[]') AS items`;

interface OrderRow {
  id: string;
  customer_id: string;
  customer_email: string;
  status: OrderStatus;
  total: string;
  currency: string;
  idempotency_key: string | null;
  stock_outcome: StockOutcome | null;
  stock_rejection: StockRejection | null;
  cancel_reason: CancelReason | null;
  cancel_announced: boolean;
  created_at: Date;
  updated_at: Date;
  version: number;
  items: OrderLineRecord[];
}

function toOrderRecord(row: OrderRow): OrderRecord {
  return {
    id: row.id,
    customerId: row.customer_id,
    customerEmail: row.customer_email,
    status: row.status,
    total: row.total,
    currency: row.currency.trim(),
    idempotencyKey: row.idempotency_key,
    stockOutcome: row.stock_outcome,
    stockRejection: row.stock_rejection,
    cancelReason: row.cancel_reason,
    cancelAnnounced: row.cancel_announced,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
    items: row.items,
  };
}

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

  /**
   * The order, its lines and its order_created event in one statement (atomic by itself, one round
   * trip); answers the order as stored. Not for an event handler's transaction: the relay is woken
   * at once, as the statement commits on its own.
   */
  async createWithEvent(order: NewOrder, event: CloudEvent): Promise<OrderRecord> {
    const outbox = outboxRow(event);
    let rows: OrderRow[];
    try {
      rows = await this.dataSource.query<OrderRow[]>(
        `WITH new_order AS (
           INSERT INTO orders (id, customer_id, customer_email, status, total, currency, idempotency_key)
           VALUES ($1, $2, $3, 'PENDING', $4, $5, $6) RETURNING *),
         new_items AS (
           INSERT INTO order_items (order_id, product_id, name, unit_price, quantity, position)
           SELECT $1, line.product_id, line.name, line.unit_price, line.quantity, line.position - 1
             FROM unnest($7::text[], $8::text[], $9::numeric[], $10::int[]) WITH ORDINALITY AS line (product_id, name, unit_price, quantity, position)),
         new_event AS (
           INSERT INTO ${OUTBOX_TABLE} (id, type, payload) VALUES ($11, $12, $13))
         SELECT *, $14::json AS items FROM new_order`,
        [
          order.id,
          order.customerId,
          order.customerEmail,
          order.total,
          order.currency,
          order.idempotencyKey,
          order.items.map((line) => line.productId),
          order.items.map((line) => line.name),
          order.items.map((line) => line.unitPrice),
          order.items.map((line) => line.quantity),
          outbox.id,
          outbox.type,
          outbox.payload,
          JSON.stringify(order.items.map(({ productId, name, unitPrice, quantity }) => ({ productId, name, unitPrice, quantity }))),
        ],
      );
    } catch (error) {
      throw isUniqueViolation(error, IDEMPOTENCY_KEY_CONSTRAINT) ? new IdempotencyKeyTaken() : error;
    }
    wakeOutboxRelay(this.dataSource);
    const [created] = rows;
    if (!created) throw new Error('the order insert returned no row');
    return toOrderRecord(created);
  }

  async findById(id: string): Promise<OrderRecord | null> {
    return this.findOne(this.manager, id);
  }

  async findByIdempotencyKey(customerId: string, idempotencyKey: string): Promise<OrderRecord | null> {
    const [row] = await this.manager.query<OrderRow[]>(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.customer_id = $1 AND o.idempotency_key = $2`, [customerId, idempotencyKey]);
    return row ? toOrderRecord(row) : null;
  }

  private async findOne(manager: EntityManager, id: string): Promise<OrderRecord | null> {
    const [row] = await manager.query<OrderRow[]>(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1`, [id]);
    return row ? toOrderRecord(row) : null;
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
      const [row] = await manager.query<OrderRow[]>(
        `WITH o AS (UPDATE orders SET status = $3, cancel_reason = $4, version = version + 1, updated_at = now() WHERE id = $1 AND status = $2 RETURNING *)
         SELECT ${ORDER_COLUMNS} FROM o`,
        [id, from, to, cancelReason ?? null],
      );
      if (!row) return null;
      const changed = toOrderRecord(row);
      for (const event of eventsOf(changed)) await enqueueEvent(manager, event);
      return changed;
    });
  }

  /** Enqueues the events of an order the sweeper just changed, in its transaction. */
  private async announce(manager: EntityManager, id: string, eventsOf: (order: OrderRecord) => CloudEvent[]): Promise<OrderRecord> {
    try {
      const order = await this.findOne(manager, id);
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
   * Records inventory's answer, once per order, and answers the order as it now is (null when
   * unknown here); `first` is false when the order already had an answer (a second answer to the
   * same order_created). The row stays locked until the transaction ends, so no status change by a
   * person interleaves with the answer's effect. One round trip when it is the first answer.
   */
  async recordStockOutcome(id: string, outcome: StockOutcome, rejection: StockRejection | null = null): Promise<{ first: boolean; order: OrderRecord | null }> {
    return this.inTransaction(async (manager) => {
      const [row] = await manager.query<OrderRow[]>(
        `WITH o AS (UPDATE orders SET stock_outcome = $2, stock_rejection = $3, updated_at = now() WHERE id = $1 AND stock_outcome IS NULL RETURNING *)
         SELECT ${ORDER_COLUMNS} FROM o`,
        [id, outcome, rejection === null ? null : JSON.stringify(rejection)],
      );
      if (row) return { first: true, order: toOrderRecord(row) };
      return { first: false, order: await this.findOne(manager, id) };
    });
  }

  /**
   * The common case of an inventory answer, without a transaction: the first answer to a PENDING
   * order records the outcome, moves the status to `to`, enqueues the event `eventOf` builds, and
   * records the event in the inbox, all in one statement (atomic by itself; its UPDATE holds the
   * row lock until it ends, so no person's change or sweep interleaves). Two round trips: the
   * order is read first, because the event is built from it; it carries only what never changes
   * after the order was created (the customer, the total, the lines), so a read before the
   * UPDATE builds the same event. False, having changed nothing, when the order is unknown, not
   * PENDING, already answered, or the event already recorded: the caller takes the transactional
   * path, which handles those.
   */
  async answerPending(
    inbox: { consumer: string; eventId: string },
    id: string,
    answer: { outcome: StockOutcome; rejection: StockRejection | null; to: OrderStatus },
    eventOf: (order: OrderRecord) => CloudEvent,
  ): Promise<boolean> {
    const [row] = await this.dataSource.query<OrderRow[]>(`SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1 AND o.status = 'PENDING' AND o.stock_outcome IS NULL`, [id]);
    if (!row) return false;
    const order = toOrderRecord(row);
    const event = outboxRow(eventOf({ ...order, status: answer.to, stockOutcome: answer.outcome, stockRejection: answer.rejection }));
    const [result] = await this.dataSource.query<Array<{ changed: number }>>(
      `WITH changed AS (
         UPDATE orders SET stock_outcome = $2, stock_rejection = $3, status = $4, version = version + 1, updated_at = now()
          WHERE id = $1 AND status = 'PENDING' AND stock_outcome IS NULL
            AND NOT EXISTS (SELECT 1 FROM ${INBOX_TABLE} WHERE consumer = $5 AND event_id = $6)
          RETURNING id),
       recorded AS (
         INSERT INTO ${INBOX_TABLE} (consumer, event_id) SELECT $5, $6 FROM changed ON CONFLICT DO NOTHING),
       enqueued AS (
         INSERT INTO ${OUTBOX_TABLE} (id, type, payload) SELECT $7, $8, $9 FROM changed)
       SELECT count(*)::int AS changed FROM changed`,
      [
        id,
        answer.outcome,
        answer.rejection === null ? null : JSON.stringify(answer.rejection),
        answer.to,
        inbox.consumer,
        inbox.eventId,
        event.id,
        event.type,
        event.payload,
      ],
    );
    if (result?.changed !== 1) return false;
    wakeOutboxRelay(this.dataSource);
    return true;
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
