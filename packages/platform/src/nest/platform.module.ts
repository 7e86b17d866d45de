import { Module, type DynamicModule } from '@nestjs/common';
import { HealthRegistry } from '../health';
import { BrokerConnection } from '../messaging/broker-connection';
import { EventPublisher } from '../messaging/publisher';
import type { NestServiceKit } from './nest-service';

/**
 * Injection tokens for what the platform made before Nest started (logger, metrics, health, broker,
 * the parsed config), so providers receive them instead of building their own copies. Classes are
 * their own tokens; interfaces need these.
 */
export const LOGGER = Symbol('LOGGER');
export const METRICS = Symbol('METRICS');
export const VERIFY_TOKEN = Symbol('VERIFY_TOKEN');
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');

@Module({})
export class PlatformModule {
  static forRoot(kit: NestServiceKit, config: object): DynamicModule {
    const providers = [
      { provide: LOGGER, useValue: kit.logger },
      { provide: METRICS, useValue: kit.metrics },
      { provide: VERIFY_TOKEN, useValue: kit.verifyToken },
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: HealthRegistry, useValue: kit.health },
      { provide: BrokerConnection, useValue: kit.broker },
      { provide: EventPublisher, useValue: kit.publisher },
    ];
    return { module: PlatformModule, global: true, providers, exports: providers.map((provider) => provider.provide) };
  }
}
