import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { HealthRegistry } from '../health';
import { BrokerConnection } from '../messaging/broker-connection';
import { EventPublisher } from '../messaging/publisher';
import { TokenVerification } from '../auth/jwt-verifier';
import { Discovery } from '../registry/discovery';
import { JwtAuthGuard, RolesGuard } from './auth/auth.guards';
import { JwtStrategy } from './auth/jwt.strategy';
import type { NestServiceKit } from './nest-service';
import { LOGGER, METRICS, SERVICE_CONFIG } from './tokens';

export { LOGGER, METRICS, SERVICE_CONFIG } from './tokens';

@Module({})
export class PlatformModule {
  /**
   * The platform's pieces as providers, plus token verification on every route: a global
   * JwtAuthGuard (routes opt out with @Public()) followed by a global RolesGuard (@Roles(...)).
   */
  static forRoot(kit: NestServiceKit, config: object): DynamicModule {
    const providers = [
      { provide: LOGGER, useValue: kit.logger },
      { provide: METRICS, useValue: kit.metrics },
      { provide: SERVICE_CONFIG, useValue: config },
      { provide: HealthRegistry, useValue: kit.health },
      { provide: BrokerConnection, useValue: kit.broker },
      { provide: EventPublisher, useValue: kit.publisher },
      { provide: TokenVerification, useValue: kit.tokens },
      { provide: Discovery, useValue: kit.discovery },
    ];
    const auth: Provider[] = [JwtStrategy, { provide: APP_GUARD, useClass: JwtAuthGuard }, { provide: APP_GUARD, useClass: RolesGuard }];
    return { module: PlatformModule, global: true, providers: [...providers, ...auth], exports: providers.map((provider) => provider.provide) };
  }
}
