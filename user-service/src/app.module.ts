import { Module, type DynamicModule } from '@nestjs/common';
import type { NestServiceKit } from '@oip/platform/nest';
import { postgresServiceModules } from '@oip/platform/typeorm';
import { AuthModule } from './auth/auth.module';
import type { Config } from './config';
import { databaseOptions } from './database/database-options';
import { UsersModule } from './users/users.module';

/** Built per process from the parsed config and the platform kit, so nothing reads process.env later. */
@Module({})
export class AppModule {
  static forRoot(config: Config, kit: NestServiceKit): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...postgresServiceModules(kit, config, databaseOptions(config)),
        UsersModule,
        AuthModule,
      ],
    };
  }
}
