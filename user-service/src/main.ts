import 'reflect-metadata';
import { nestService, runNestService } from '@oip/platform/nest';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';

runNestService(() => {
  const config = loadServiceConfig();
  return nestService({
    name: 'user-service',
    port: config.USER_SERVICE_PORT,
    config,
    openApi: { title: 'user-service', version: '1.0.0', description: 'Accounts, credentials and access tokens' },
    module: (kit) => AppModule.forRoot(config, kit),
  });
});
