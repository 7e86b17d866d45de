import { EventPublisher, expressService, runExpressService } from '@oip/platform';
import { connectServiceMongo } from '@oip/platform/mongo';
import { buildApp } from './app';
import { loadServiceConfig } from './config';

runExpressService(() => {
  const config = loadServiceConfig();
  return expressService({
    name: 'notification-service',
    port: config.NOTIFICATION_SERVICE_PORT,
    config,
    async setup(kit) {
      const db = await connectServiceMongo(kit, config.MONGO_URL, config.NOTIFICATION_DB_NAME);
      const publisher = new EventPublisher(kit.requireBroker(), kit.logger, kit.metrics);
      await publisher.start();
      return { app: buildApp(kit), closeStores: () => db.close() };
    },
  });
});
