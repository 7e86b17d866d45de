import path from 'node:path';
import { postgresOptions } from '@oip/platform/nest';
import type { DataSourceOptions } from 'typeorm';
import type { Config } from '../config';
import { OrderItemEntity } from '../orders/order-item.entity';
import { OrderEntity } from '../orders/order.entity';

/** The one description of the database, shared by the running service and the typeorm CLI. */
export function databaseOptions(config: Config): DataSourceOptions {
  return {
    ...postgresOptions(config, config.ORDER_DB_NAME, 'order-service'),
    entities: [OrderEntity, OrderItemEntity],
    // Compiled migrations only: the service and the CLI both run from dist/.
    migrations: [path.join(__dirname, 'migrations', '*.js')],
  };
}
