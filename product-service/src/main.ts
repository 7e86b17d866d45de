import { EventPublisher, expressService, runExpressService } from '@oip/platform';
import { connectServiceMongo, DocumentOutboxRelay, observeDocumentOutbox } from '@oip/platform/mongo';
import { buildApp } from './app';
import { loadServiceConfig } from './config';
import { productModels } from './products/product.model';
import { ProductRepository } from './products/product.repository';
import { ProductService } from './products/product.service';

runExpressService(() => {
  const config = loadServiceConfig();
  return expressService({
    name: 'product-service',
    port: config.PRODUCT_SERVICE_PORT,
    config,
    async setup(kit) {
      const db = await connectServiceMongo(kit, config.MONGO_URL, config.PRODUCT_DB_NAME);
      const publisher = new EventPublisher(kit.requireBroker(), kit.logger, kit.metrics);
      await publisher.start();
      const repository = new ProductRepository(await productModels(db));
      // Publishes the events stored in product documents; resumes whatever a previous run left.
      const relay = new DocumentOutboxRelay({
        collection: repository.raw,
        publisher,
        logger: kit.logger,
        remove: (id, eventId) => repository.removeOutboxEvent(id, eventId),
        pollIntervalMs: config.PRODUCT_OUTBOX_POLL_MS,
      });
      relay.start();
      observeDocumentOutbox(kit.metrics, repository.raw);
      return {
        app: buildApp(kit, new ProductService(repository, relay)),
        stopWork: () => relay.stop(),
        closeStores: () => db.close(),
      };
    },
  });
});
