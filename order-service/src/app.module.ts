import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule, type NestServiceKit } from '@oip/platform/nest';
import { OutboxModule } from '@oip/platform/outbox';
import { DatabaseHealthModule } from '@oip/platform/typeorm';
import type { Config } from './config';
import { databaseOptions } from './database/database-options';
import { OrdersModule } from './orders/orders.module';

/** Built per process from the parsed config and the platform kit, so nothing reads process.env later. */
@Module({})
export class AppModule {
  static forRoot(config: Config, kit: NestServiceKit): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(kit, config),
        TypeOrmModule.forRoot(databaseOptions(config)),
        OutboxModule.forRoot({ pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS }),
        DatabaseHealthModule,
        OrdersModule,
      ],
    };
  }
}
