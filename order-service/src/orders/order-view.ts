import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { formatMinorUnits, parseMinorUnits } from '@oip/contracts';
import { PageOf } from '@oip/platform/nest';
import { CANCEL_REASONS, ORDER_STATUSES, type CancelReason, type OrderStatus } from './order-status';
import type { StockOutcome, StockRejection } from './order.entity';

/** An order as the repository hands it out: plain data, money as decimal strings. */
export interface OrderLineRecord {
  productId: string;
  name: string;
  unitPrice: string;
  quantity: number;
}

export interface OrderRecord {
  id: string;
  customerId: string;
  customerEmail: string;
  status: OrderStatus;
  total: string;
  currency: string;
  idempotencyKey: string | null;
  stockOutcome: StockOutcome | null;
  stockRejection: StockRejection | null;
  cancelReason: CancelReason | null;
  /** order_cancelled went out before inventory's answer came: a later reservation needs a release of its own. */
  cancelAnnounced: boolean;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  items: OrderLineRecord[];
}

export class OrderLineView {
  @ApiProperty({ example: '6650c0ffee0000000000beef' })
  productId!: string;

  @ApiProperty({ example: 'Mug', description: 'The product\'s name when the order was placed' })
  name!: string;

  @ApiProperty({ example: '6.25', description: 'Decimal string; the product\'s price when the order was placed' })
  unitPrice!: string;

  @ApiProperty({ example: 2 })
  quantity!: number;

  @ApiProperty({ example: '12.50', description: 'unitPrice × quantity, exactly' })
  lineTotal!: string;
}

export class ShortLineView {
  @ApiProperty({ example: '6650c0ffee0000000000beef' })
  productId!: string;

  @ApiPropertyOptional({ example: 'Mug', description: 'The line\'s product name, when the order has that product' })
  name?: string;

  @ApiProperty({ example: 3 })
  requested!: number;

  @ApiProperty({ example: 1 })
  available!: number;
}

export class RejectionView {
  @ApiProperty({ example: 'insufficient stock' })
  reason!: string;

  @ApiProperty({ type: [ShortLineView], description: 'The lines inventory could not cover' })
  shortItems!: ShortLineView[];
}

export class OrderView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  customerId!: string;

  @ApiProperty({ enum: ORDER_STATUSES, example: 'PENDING' })
  status!: OrderStatus;

  @ApiProperty({ type: [OrderLineView] })
  items!: OrderLineView[];

  @ApiProperty({ example: '12.50', description: 'Decimal string, computed by the service' })
  total!: string;

  @ApiProperty({ example: 'EUR' })
  currency!: string;

  @ApiPropertyOptional({ enum: ['RESERVED', 'REJECTED'], nullable: true, description: 'Inventory\'s answer; null while it is awaited' })
  stockOutcome!: StockOutcome | null;

  // Absent rather than null otherwise: @nestjs/swagger cannot document a nullable $ref.
  @ApiPropertyOptional({ type: RejectionView, description: 'Why inventory rejected the order; present on REJECTED orders only' })
  rejection?: RejectionView;

  @ApiPropertyOptional({
    enum: CANCEL_REASONS,
    nullable: true,
    description: 'Why the order is CANCELLED: by its customer, by an admin, or `timeout` when inventory never answered within ORDER_PENDING_TIMEOUT_SECONDS; null otherwise',
  })
  cancelReason!: CancelReason | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiProperty({ example: 1, description: 'Grows by one with every status change' })
  version!: number;
}

export class OrderPage extends PageOf(OrderView) {}

export function toOrderView(order: OrderRecord): OrderView {
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    items: order.items.map((line) => ({
      ...line,
      lineTotal: formatMinorUnits((parseMinorUnits(line.unitPrice) ?? 0n) * BigInt(line.quantity)),
    })),
    total: order.total,
    currency: order.currency,
    stockOutcome: order.stockOutcome,
    ...(order.stockRejection && {
      rejection: {
        reason: order.stockRejection.reason,
        shortItems: order.stockRejection.shortItems.map((short) => {
          const name = order.items.find((line) => line.productId === short.productId)?.name;
          return { ...short, ...(name ? { name } : {}) };
        }),
      },
    }),
    cancelReason: order.cancelReason,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
    version: order.version,
  };
}
