import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';
import { orderCancelled } from './order-events';
import { OrdersRepository, UncancellableOrder } from './orders.repository';

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
  private stopping = false;
  /** Orders this process could not cancel: logged once, then left for a person instead of blocking the rest. */
  private readonly uncancellable = new Set<string>();

  constructor(
    private readonly orders: OrdersRepository,
    @Inject(SERVICE_CONFIG) private readonly config: Pick<Config, 'ORDER_PENDING_TIMEOUT_SECONDS' | 'ORDER_PENDING_SWEEP_INTERVAL_MS'>,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** Cancels every order pending for too long, one per transaction; the ids this call cancelled. */
  async sweep(): Promise<string[]> {
    const cancelled: string[] = [];
    while (!this.stopping) {
      let order;
      try {
        order = await this.orders.cancelStalePending(this.config.ORDER_PENDING_TIMEOUT_SECONDS, [...this.uncancellable], (stale) => [orderCancelled(stale, {})]);
      } catch (error) {
        if (!(error instanceof UncancellableOrder)) throw error;
        this.uncancellable.add(error.orderId);
        this.logger.error({ err: error, orderId: error.orderId }, 'order pending past the timeout cannot be cancelled; left PENDING for a person');
        continue;
      }
      if (!order) break;
      this.logger.warn({ orderId: order.id, createdAt: order.createdAt }, 'order cancelled: no stock answer within the pending timeout');
      cancelled.push(order.id);
    }
    return cancelled;
  }

  private schedule(): void {
    if (this.stopping) return;
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
