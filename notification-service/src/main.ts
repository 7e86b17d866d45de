import { DeadLetters, expressService, runExpressService } from '@oip/platform';
import { connectServiceMongo } from '@oip/platform/mongo';
import { buildApp } from './app';
import { loadServiceConfig } from './config';
import { notificationEventsConsumer, QUEUE } from './consumers/notification-events.consumer';
import { Mailer } from './mail/mailer';
import { AcceptedSends } from './notifications/accepted-sends';
import { notificationModels } from './notifications/notification.model';
import { NotificationRepository } from './notifications/notifications.repository';
import { NotificationService } from './notifications/notifications.service';

runExpressService(() => {
  const config = loadServiceConfig();
  return expressService({
    name: 'notification-service',
    port: config.NOTIFICATION_SERVICE_PORT,
    config,
    async setup(kit) {
      const db = await connectServiceMongo(kit, config.MONGO_URL, config.NOTIFICATION_DB_NAME);
      const repository = new NotificationRepository(await notificationModels(db));
      // Readiness does not depend on SMTP: while it is down, notifications are stored and retried.
      const mailer = new Mailer(config, kit.logger);
      const acceptedSends = new AcceptedSends({
        record: (send) => repository.markSent(send.notification, send.attempt, send.sentAt, send.messageId),
        logger: kit.logger,
      });
      const notifications = new NotificationService(repository, mailer, acceptedSends, { opsEmail: config.OPS_EMAIL, maxSendAttempts: config.RABBITMQ_MAX_RETRIES + 1 }, kit.logger);
      const consumer = notificationEventsConsumer(kit, notifications, {
        prefetch: config.RABBITMQ_PREFETCH,
        maxRetries: config.RABBITMQ_MAX_RETRIES,
        retryBaseMs: config.RABBITMQ_RETRY_BASE_MS,
      });
      await consumer.start();
      return {
        app: buildApp(kit, notifications, new DeadLetters(kit.requireBroker(), QUEUE)),
        // In-flight events finish (their e-mail included) before the transport closes.
        stopWork: async () => {
          await consumer.stop();
          mailer.close();
          await acceptedSends.close();
        },
        closeStores: () => db.close(),
      };
    },
  });
});
