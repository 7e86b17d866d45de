import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Metrics } from '@oip/platform';
import { METRICS } from '@oip/platform/nest';
import { ORDER_STATUSES } from './order-status';
import { OrdersRepository } from './orders.repository';

/**
 * `orders{status}` and `orders_oldest_pending_age_seconds`, counted in the database when Prometheus
 * scrapes, so every instance reports the same truth and nothing drifts. The pending age is what the
 * "order stuck in PENDING" alert watches: the saga stalled somewhere between here and inventory.
 */
@Injectable()
export class OrderMetrics implements OnModuleInit {
  constructor(
    private readonly orders: OrdersRepository,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    let last: ReturnType<OrdersRepository['statusCounts']> | undefined;
    // One query pair per scrape serves both gauges.
    const read = () => (last ??= this.orders.statusCounts().finally(() => setTimeout(() => (last = undefined), 100).unref()));
    this.metrics.observe('orders', 'Orders by status', ['status'], async () => {
      const { byStatus } = await read();
      // Every status, zeros included, so a rate or an alert never meets a missing series.
      return ORDER_STATUSES.map((status) => ({ labels: { status }, value: byStatus.find((row) => row.status === status)?.count ?? 0 }));
    });
    this.metrics.observe('orders_oldest_pending_age_seconds', 'Age of the oldest order still PENDING (0 when none is)', [], async () => [
      { labels: {}, value: (await read()).oldestPendingSeconds },
    ]);
  }
}
