import { Module, type DynamicModule } from '@nestjs/common';
import { DeadLettersModule, type NestServiceKit } from '@oip/platform/nest';
import { postgresServiceModules } from '@oip/platform/typeorm';
import type { Config } from './config';
import { databaseOptions } from './database/database-options';
import { ORDER_QUEUE } from './orders/orders.consumer';
import { OrdersModule } from './orders/orders.module';

/** Built per process from the parsed config and the platform kit, so nothing reads process.env later. */
@Module({})
export class AppModule {
  static forRoot(config: Config, kit: NestServiceKit): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...postgresServiceModules(kit, config, databaseOptions(config)),
        OrdersModule,
        DeadLettersModule.forQueue(ORDER_QUEUE),
      ],
    };
  }
}
