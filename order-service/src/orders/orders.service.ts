import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { formatMinorUnits, parseMinorUnits } from '@oip/contracts';
import { contextCausation, ProductLookupClient, type AuthenticatedUser, type Logger, type ProductLookup } from '@oip/platform';
import { LOGGER } from '@oip/platform/nest';
import type { CreateOrderDto } from './dto/create-order.dto';
import type { ListOrdersQuery, PageQuery } from './dto/list-orders.query';
import { MAX_MINOR_UNITS, orderTotal } from './money';
import { eventOfChange, orderCreated } from './order-events';
import { checkTransition, ORDER_STATUSES, type Actor, type OrderStatus } from './order-status';
import { toOrderView, type OrderLineRecord, type OrderPage, type OrderRecord, type OrderView } from './order-view';
import { OrderErrors } from './orders.errors';
import { IdempotencyKeyTaken, OrdersRepository, type NewOrder, type OrderFilter } from './orders.repository';

/** Printable ASCII, as clients generate them (UUIDs, ULIDs, hashes). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
/** A status change read from a stale order is tried again this many times before 409. */
const TRANSITION_ATTEMPTS = 3;

const isAdmin = (caller: AuthenticatedUser): boolean => caller.roles.includes('admin');

export interface PlacedOrder {
  order: OrderView;
  /** True when the Idempotency-Key named an order placed before: nothing new was made. */
  replayed: boolean;
}

/** Placing orders and the changes people make to them (the saga's own steps are in order-saga.service.ts). */
@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly catalogue: ProductLookupClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Saga step 1: snapshot each product's name and price from product-service, compute the total
   * exactly, and store the order PENDING together with its order_created event.
   */
  async place(caller: AuthenticatedUser, dto: CreateOrderDto, idempotencyKey?: string, authorization?: string): Promise<PlacedOrder> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw OrderErrors.invalidIdempotencyKey();
    const key = idempotencyKey ?? null;
    if (key) {
      const earlier = await this.orders.findByIdempotencyKey(caller.id, key);
      if (earlier) return this.replay(earlier, dto);
    }

    const lines = await this.snapshot(dto, authorization);
    const total = orderTotal(lines.map((line) => ({ unitPrice: line.minor, quantity: line.quantity })));
    if (total > MAX_MINOR_UNITS) throw OrderErrors.totalTooLarge();
    const order: NewOrder = {
      id: randomUUID(),
      customerId: caller.id,
      customerEmail: caller.email,
      total: formatMinorUnits(total),
      currency: lines[0]?.currency ?? 'EUR',
      idempotencyKey: key,
      items: lines.map(({ productId, name, unitPrice, quantity }) => ({ productId, name, unitPrice, quantity })),
    };
    let stored: OrderRecord;
    try {
      stored = await this.orders.createWithEvent(order, orderCreated(order, contextCausation()));
    } catch (error) {
      if (!(error instanceof IdempotencyKeyTaken) || !key) throw error;
      // A concurrent request with the same key committed first: answer with its order.
      const winner = await this.orders.findByIdempotencyKey(caller.id, key);
      if (!winner) throw error;
      return this.replay(winner, dto);
    }
    this.logger.info({ orderId: order.id, customerId: caller.id, total: order.total, currency: order.currency }, 'order placed');
    return { order: toOrderView(stored), replayed: false };
  }

  async get(caller: AuthenticatedUser, id: string): Promise<OrderView> {
    const order = await this.orders.findById(id);
    if (!order) throw OrderErrors.notFound(id);
    this.actorOf(caller, order);
    return toOrderView(order);
  }

  /** Admins see every order (optionally one customer's); anyone else only their own. */
  async list(caller: AuthenticatedUser, query: ListOrdersQuery): Promise<OrderPage> {
    if (!isAdmin(caller) && query.customerId !== undefined && query.customerId !== caller.id) throw OrderErrors.otherCustomer();
    const customerId = isAdmin(caller) ? query.customerId : caller.id;
    return this.page({ customerId, status: query.status }, query);
  }

  async listForCustomer(caller: AuthenticatedUser, customerId: string, query: PageQuery): Promise<OrderPage> {
    if (!isAdmin(caller) && customerId !== caller.id) throw OrderErrors.otherCustomer();
    return this.page({ customerId, status: query.status }, query);
  }

  cancel(caller: AuthenticatedUser, id: string): Promise<OrderView> {
    return this.changeStatus(caller, id, 'CANCELLED');
  }

  /**
   * A change by a person, judged by the lifecycle table against the order as read, then made by
   * a conditional update; when someone else changed the order in between, it is judged again
   * against the new state (which usually makes it illegal: 409).
   */
  async changeStatus(caller: AuthenticatedUser, id: string, to: OrderStatus): Promise<OrderView> {
    for (let attempt = 0; attempt < TRANSITION_ATTEMPTS; attempt += 1) {
      const order = await this.orders.findById(id);
      if (!order) throw OrderErrors.notFound(id);
      const actor = this.actorOf(caller, order);
      judge(order.status, to, actor);
      const from = order.status;
      const causation = contextCausation();
      const changed = await this.orders.transition(
        id,
        from,
        to,
        (current) => {
          const event = eventOfChange(current, from, to, causation);
          return event ? [event] : [];
        },
        to === 'CANCELLED' ? (actor === 'admin' ? 'admin' : 'customer') : undefined,
      );
      if (changed) {
        this.logger.info({ orderId: id, from, to, actor }, 'order status changed');
        return toOrderView(changed);
      }
    }
    throw OrderErrors.concurrentChange(id);
  }

  private async page(filter: OrderFilter, query: PageQuery): Promise<OrderPage> {
    const { items, total } = await this.orders.list(filter, query.page, query.limit);
    return { items: items.map(toOrderView), page: query.page, limit: query.limit, total };
  }

  /** Admins act as admins on any order; the customer as owner on their own; others not at all (403). */
  private actorOf(caller: AuthenticatedUser, order: OrderRecord): Actor {
    if (isAdmin(caller)) return 'admin';
    if (order.customerId === caller.id) return 'owner';
    throw OrderErrors.notYours();
  }

  /** The same key with the same items answers the earlier order; with other items it is a client bug (409). */
  private replay(earlier: OrderRecord, dto: CreateOrderDto): PlacedOrder {
    const asked = dto.items.map((line) => `${line.productId}×${line.quantity}`).sort();
    const had = earlier.items.map((line) => `${line.productId}×${line.quantity}`).sort();
    if (asked.join(',') !== had.join(',')) throw OrderErrors.idempotencyKeyReused();
    return { order: toOrderView(earlier), replayed: true };
  }

  /** Each product looked up in parallel; a definite "no such product" outranks "cannot tell now". */
  private async snapshot(dto: CreateOrderDto, authorization: string | undefined): Promise<Array<OrderLineRecord & { minor: bigint; currency: string }>> {
    const lookups: ProductLookup[] = await Promise.all(dto.items.map((line) => this.catalogue.get(line.productId, authorization)));
    const missing = lookups.findIndex((lookup) => lookup.status === 'not_found');
    if (missing >= 0) throw OrderErrors.productNotFound(dto.items[missing]?.productId ?? '', `items.${missing}.productId`);
    const lines: Array<OrderLineRecord & { minor: bigint; currency: string }> = [];
    for (const [index, lookup] of lookups.entries()) {
      const line = dto.items[index];
      if (lookup.status !== 'ok' || !line) throw OrderErrors.catalogueUnavailable();
      const { product } = lookup;
      if (!product.active) throw OrderErrors.productInactive(product.id, `items.${index}.productId`);
      const minor = parseMinorUnits(product.price);
      if (minor === undefined) {
        this.logger.error({ productId: product.id, price: product.price }, 'product-service sent a price that is not a decimal string');
        throw OrderErrors.catalogueUnavailable();
      }
      lines.push({ productId: line.productId, name: product.name, unitPrice: formatMinorUnits(minor), quantity: line.quantity, minor, currency: product.currency });
    }
    const currencies = [...new Set(lines.map((line) => line.currency))];
    if (currencies.length > 1) throw OrderErrors.mixedCurrencies(currencies);
    return lines;
  }
}

/**
 * The lifecycle table's verdict as an answer: a change nobody may make through the API (or not
 * from this state) is 409; one only an admin may make is 403 for anyone else, whatever the state.
 */
function judge(from: OrderStatus, to: OrderStatus, actor: Actor): void {
  const verdict = checkTransition(from, to, actor);
  if (verdict === 'allowed') return;
  const adminMay = (state: OrderStatus) => checkTransition(state, to, 'admin') === 'allowed';
  const actorMay = (state: OrderStatus) => checkTransition(state, to, actor) === 'allowed';
  if (actor !== 'admin' && !ORDER_STATUSES.some(actorMay) && ORDER_STATUSES.some(adminMay)) throw OrderErrors.transitionNeedsAdmin(to);
  if (verdict === 'forbidden' && actor !== 'admin' && adminMay(from)) throw OrderErrors.transitionNeedsAdmin(to);
  throw OrderErrors.illegalTransition(from, to);
}
