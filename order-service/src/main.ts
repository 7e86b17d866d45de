import 'reflect-metadata';
import { subscriptions } from '@oip/contracts';
import { nestService, runNestService } from '@oip/platform/nest';
import { typeormIdempotency } from '@oip/platform/outbox';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';
import { databaseOptions } from './database/database-options';
import { ORDER_QUEUE } from './orders/orders.consumer';

runNestService(() => {
  const config = loadServiceConfig();
  return nestService({
    name: 'order-service',
    port: config.ORDER_SERVICE_PORT,
    config,
    openApi: { title: 'order-service', version: '1.0.0', description: 'Orders and their lifecycle' },
    module: (kit) => AppModule.forRoot(config, kit),
    migrations: databaseOptions(config),
    // Inventory's answers, recorded in processed_events with the status change: in one statement
    // for a PENDING order's first answer, in one transaction otherwise (order-saga.service.ts).
    events: { queue: ORDER_QUEUE, types: subscriptions[ORDER_QUEUE], idempotency: (app) => typeormIdempotency(app.get(DataSource), { oneStatementFirst: true }) },
  });
});
