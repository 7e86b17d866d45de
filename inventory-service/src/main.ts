import { DeadLetters, EventPublisher, expressService, ProductLookupClient, runExpressService } from '@oip/platform';
import { connectServiceMongo, DocumentOutboxRelay, observeDocumentOutbox } from '@oip/platform/mongo';
import { buildApp } from './app';
import { loadServiceConfig } from './config';
import { inventoryConsumer, inventoryHandlers, QUEUE } from './consumers/inventory.consumer';
import { OrderStockService } from './stock/order-stock.service';
import { stockModels } from './stock/stock.model';
import { StockRepository } from './stock/stock.repository';
import { StockService } from './stock/stock.service';

runExpressService(() => {
  const config = loadServiceConfig();
  return expressService({
    name: 'inventory-service',
    port: config.INVENTORY_SERVICE_PORT,
    config,
    async setup(kit) {
      const db = await connectServiceMongo(kit, config.MONGO_URL, config.INVENTORY_DB_NAME);
      const publisher = new EventPublisher(kit.requireBroker(), kit.logger, kit.metrics);
      await publisher.start();
      const repository = new StockRepository(await stockModels(db));
      // Publishes stock_low events stored in stock records; resumes whatever a previous run left.
      const relay = new DocumentOutboxRelay({
        collection: repository.raw,
        publisher,
        logger: kit.logger,
        remove: async (productId, eventId) => (await repository.apply(productId, { kind: 'outbox-sent', eventId })).applied,
        pollIntervalMs: config.INVENTORY_OUTBOX_POLL_MS,
      });
      const stock = new StockService(repository, new ProductLookupClient({ picker: kit.discovery.picker, logger: kit.logger, timeoutMs: config.INVENTORY_PRODUCT_TIMEOUT_MS, cacheMs: 0 }), relay, {
        lowStockThreshold: config.INVENTORY_LOW_STOCK_THRESHOLD,
      });
      const orders = new OrderStockService(stock, publisher, kit.logger);
      const consumer = inventoryConsumer(kit, db, inventoryHandlers(stock, orders), {
        prefetch: config.RABBITMQ_PREFETCH,
        maxRetries: config.RABBITMQ_MAX_RETRIES,
        retryBaseMs: config.RABBITMQ_RETRY_BASE_MS,
      });
      relay.start();
      observeDocumentOutbox(kit.metrics, repository.raw);
      await consumer.start();
      return {
        app: buildApp(kit, stock, new DeadLetters(kit.requireBroker(), QUEUE)),
        stopWork: async () => {
          await consumer.stop();
          await relay.stop();
        },
        closeStores: () => db.close(),
      };
    },
  });
});
