import { serviceShellSuite, testInfra } from '@oip/testkit';

serviceShellSuite({
  service: 'inventory-service',
  portVariable: 'INVENTORY_SERVICE_PORT',
  env: () => {
    const infra = testInfra();
    return { MONGO_URL: infra.mongoUrl, INVENTORY_DB_NAME: 'inventory_test', RABBITMQ_URL: infra.rabbitmqUrl };
  },
  store: { component: 'mongo', check: 'mongo' },
  checks: ['rabbitmq', 'token-revocations'],
});
