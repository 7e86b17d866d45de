import { serviceShellSuite, testInfra } from '@oip/testkit';

serviceShellSuite({
  service: 'product-service',
  portVariable: 'PRODUCT_SERVICE_PORT',
  env: () => {
    const infra = testInfra();
    return { MONGO_URL: infra.mongoUrl, PRODUCT_DB_NAME: 'product_test', RABBITMQ_URL: infra.rabbitmqUrl };
  },
  store: { component: 'mongo', check: 'mongo' },
  checks: ['rabbitmq', 'token-revocations'],
});
