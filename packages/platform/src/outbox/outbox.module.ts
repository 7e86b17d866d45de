import { Inject, Injectable, Module, type DynamicModule, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { EventPublisher } from '../messaging/publisher';
import type { Metrics } from '../metrics';
import { LOGGER, METRICS } from '../nest/tokens';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';

/**
 * The relay as a Nest provider for the PostgreSQL services: built from the service's TypeORM
 * DataSource and the platform publisher, started once the app is up, stopped before TypeORM closes
 * the DataSource (module destroy precedes application shutdown).
 */
@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(@Inject(OutboxRelay) private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay.stop();
  }
}

@Module({})
export class OutboxModule {
  static forRoot(options: OutboxRelayOptions): DynamicModule {
    return {
      module: OutboxModule,
      global: true,
      providers: [
        {
          provide: OutboxRelay,
          inject: [DataSource, EventPublisher, LOGGER, METRICS],
          useFactory: (dataSource: DataSource, publisher: EventPublisher, logger: Logger, metrics: Metrics) =>
            new OutboxRelay(dataSource, publisher, logger.child({ component: 'outbox-relay' }), metrics, options),
        },
        OutboxRelayLifecycle,
      ],
      exports: [OutboxRelay],
    };
  }
}
