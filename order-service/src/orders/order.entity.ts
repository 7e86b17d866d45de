import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  OneToMany,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import type { OrderItemEntity } from './order-item.entity';
import type { CancelReason, OrderStatus } from './order-status';

export type StockOutcome = 'RESERVED' | 'REJECTED';

/** Inventory's stock_rejected answer, as stored with the order. */
export interface StockRejection {
  reason: string;
  shortItems: Array<{ productId: string; requested: number; available: number }>;
}

/**
 * A row of `orders`. The schema is owned by the migrations; this mapping must follow them. Money
 * columns map to strings: PostgreSQL numeric has no JavaScript type that would not round it.
 */
@Entity({ name: 'orders' })
@Unique('orders_customer_idempotency_key', ['customerId', 'idempotencyKey'])
@Index('orders_customer_created_idx', { synchronize: false })
@Index('orders_status_created_idx', { synchronize: false })
@Check('orders_status_check', `status IN ('PENDING', 'CONFIRMED', 'REJECTED', 'CANCELLED', 'SHIPPED', 'DELIVERED')`)
@Check('orders_total_check', 'total >= 0')
@Check('orders_stock_outcome_check', `stock_outcome IN ('RESERVED', 'REJECTED')`)
@Check('orders_cancel_reason_check', `cancel_reason IN ('customer', 'admin', 'timeout')`)
export class OrderEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'customer_id', type: 'uuid' })
  customerId!: string;

  /** From the access token's `email` claim when the order was placed: every order event carries it. */
  @Column({ name: 'customer_email', type: 'text' })
  customerEmail!: string;

  @Column({ type: 'text', default: 'PENDING' })
  status!: OrderStatus;

  @Column({ type: 'numeric', precision: 14, scale: 2 })
  total!: string;

  @Column({ type: 'char', length: 3 })
  currency!: string;

  /** Inventory's answer to order_created; null until it arrives. */
  @Column({ name: 'stock_outcome', type: 'text', nullable: true })
  stockOutcome!: StockOutcome | null;

  /** Why inventory rejected the order (which lines were short); null for any other outcome. */
  @Column({ name: 'stock_rejection', type: 'jsonb', nullable: true })
  stockRejection!: StockRejection | null;

  /** Set with the change to CANCELLED; null otherwise. */
  @Column({ name: 'cancel_reason', type: 'text', nullable: true })
  cancelReason!: CancelReason | null;

  /** order_cancelled was sent while inventory's answer was still awaited (the pending-order sweeper). */
  @Column({ name: 'cancel_announced', type: 'boolean', default: false })
  cancelAnnounced!: boolean;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /**
   * Counts status changes (each UPDATE in orders.repository.ts adds one). It guards nothing: a change
   * from a stale read fails because that UPDATE also requires the status it was read in.
   */
  @Column({ type: 'integer', default: 1 })
  version!: number;

  // By entity name, so the two entity files need not import each other at run time.
  @OneToMany('OrderItemEntity', (item: OrderItemEntity) => item.order, { cascade: ['insert'] })
  items!: Relation<OrderItemEntity[]>;
}
