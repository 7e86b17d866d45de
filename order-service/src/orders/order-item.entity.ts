import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import type { OrderEntity } from './order.entity';

/** A line of an order, with the product's name and price as they were when the order was placed. */
@Entity({ name: 'order_items' })
@Check('order_items_unit_price_check', 'unit_price >= 0')
@Check('order_items_quantity_check', 'quantity > 0')
export class OrderItemEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index('order_items_order_idx')
  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @ManyToOne('OrderEntity', (order: OrderEntity) => order.items, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'order_id', foreignKeyConstraintName: 'order_items_order_fk' })
  order!: Relation<OrderEntity>;

  /** Product ids are product-service's, not a foreign key here (text: this table does not own their format). */
  @Column({ name: 'product_id', type: 'text' })
  productId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'unit_price', type: 'numeric', precision: 14, scale: 2 })
  unitPrice!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  /** The line's place in the order as the customer gave it. */
  @Column({ type: 'integer', default: 0 })
  position!: number;
}
