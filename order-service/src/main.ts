import 'reflect-metadata';
import { nestService, runNestService } from '@oip/platform/nest';
import { AppModule } from './app.module';
import { loadServiceConfig } from './config';

runNestService(() => {
  const config = loadServiceConfig();
  return nestService({
    name: 'order-service',
    port: config.ORDER_SERVICE_PORT,
    config,
    openApi: { title: 'order-service', version: '1.0.0', description: 'Orders and their lifecycle' },
    module: (kit) => AppModule.forRoot(config, kit),
  });
});
