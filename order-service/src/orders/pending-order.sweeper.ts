import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';
import { orderCancelled } from './order-events';
import { OrdersRepository } from './orders.repository';

/** Orders cancelled per transaction: a backlog is worked off in batches, each short. */
const BATCH = 100;

/**
 * No order stays PENDING for good. Inventory's answer may never come (its order_created or the
 * answer dead-lettered, a queue purged by an operator); after ORDER_PENDING_TIMEOUT_SECONDS the
 * system cancels the order (reason `timeout`) and announces it at once: the customer learns it,
 * and inventory releases a hold it made for an answer that was lost. An answer that still comes
 * later finds the order cancelled and releases its holds again (order-saga.service.ts), so a
 * reservation made after the announcement is not left behind either.
 */
@Injectable()
export class PendingOrderSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly orders: OrdersRepository,
    @Inject(SERVICE_CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** Cancels every order pending for too long; the number cancelled. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const cancelled = await this.orders.cancelStalePending(this.config.ORDER_PENDING_TIMEOUT_SECONDS, BATCH, (order) => [orderCancelled(order, {})]);
      for (const order of cancelled) this.logger.warn({ orderId: order.id, createdAt: order.createdAt }, 'order cancelled: no stock answer within the pending timeout');
      total += cancelled.length;
      if (cancelled.length < BATCH || this.stopped) return total;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweeping = this.sweep()
        .then(() => undefined)
        // The database may be away for a while: the next round tries again.
        .catch((error: unknown) => this.logger.warn({ err: error }, 'pending-order sweep failed'))
        .finally(() => this.schedule());
    }, this.config.ORDER_PENDING_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }
}
