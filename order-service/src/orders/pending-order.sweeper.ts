import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';
import { orderCancelled } from './order-events';
import type { OrderRecord } from './order-view';
import { OrdersRepository, UncancellableOrder } from './orders.repository';

/**
 * No order stays PENDING for good. Inventory's answer may never come (its order_created or the
 * answer dead-lettered, a queue purged by an operator); after ORDER_PENDING_TIMEOUT_SECONDS the
 * system cancels the order (reason `timeout`) and announces it at once: the customer learns it,
 * and inventory releases a hold it made for an answer that was lost. An answer that still comes
 * later finds the order cancelled and releases its holds again (order-saga.service.ts), so a
 * reservation made after the announcement is not left behind either. A person's cancellation of a
 * PENDING order waits for the answer before it is announced; past the same timeout it is announced
 * without it, the same way.
 */
@Injectable()
export class PendingOrderSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private stopping = false;
  /** Orders this process could not cancel or announce: logged once, then left for a person instead of blocking the rest. */
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

  /**
   * Cancels every order pending for too long, then announces every cancellation a person made
   * before an answer that, by now, is as overdue; one order per transaction. The ids it handled.
   */
  async sweep(): Promise<string[]> {
    const timeout = this.config.ORDER_PENDING_TIMEOUT_SECONDS;
    const announce = (order: OrderRecord) => [orderCancelled(order, {})];
    const cancelled = await this.drain((excluded) => this.orders.cancelStalePending(timeout, excluded, announce), 'order cancelled: no stock answer within the pending timeout');
    const announced = await this.drain(
      (excluded) => this.orders.announceUnansweredCancellation(timeout, excluded, announce),
      'cancellation announced: no stock answer within the pending timeout',
    );
    return [...cancelled, ...announced];
  }

  private async drain(next: (excluded: string[]) => Promise<OrderRecord | null>, done: string): Promise<string[]> {
    const handled: string[] = [];
    while (!this.stopping) {
      let order: OrderRecord | null;
      try {
        order = await next([...this.uncancellable]);
      } catch (error) {
        if (!(error instanceof UncancellableOrder)) throw error;
        this.uncancellable.add(error.orderId);
        this.logger.error({ err: error, orderId: error.orderId }, 'order past the pending timeout cannot be cancelled or announced; left for a person');
        continue;
      }
      if (!order) break;
      this.logger.warn({ orderId: order.id, createdAt: order.createdAt }, done);
      handled.push(order.id);
    }
    return handled;
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
