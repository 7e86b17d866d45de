import { serviceShellSuite, testInfra } from '@oip/testkit';

serviceShellSuite({
  service: 'notification-service',
  portVariable: 'NOTIFICATION_SERVICE_PORT',
  env: () => {
    const infra = testInfra();
    return { MONGO_URL: infra.mongoUrl, NOTIFICATION_DB_NAME: 'notification_test', RABBITMQ_URL: infra.rabbitmqUrl };
  },
  store: { component: 'mongo', check: 'mongo' },
  checks: ['rabbitmq', 'token-revocations'],
});
