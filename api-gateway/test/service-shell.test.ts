import { createServer } from 'node:http';
import { after } from 'node:test';
import { listen } from '@oip/platform';
import { serviceShellSuite, testInfra } from '@oip/testkit';

// The gateway's own shell, with one stand-in upstream that only answers liveness: readiness of the
// gateway follows its upstreams, and the real services are exercised by their own suites.
const upstream = createServer((req, res) => {
  res.writeHead(req.url === '/health/live' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
});
const upstreamUrl = listen(upstream, 0, '127.0.0.1').then((port) => `http://127.0.0.1:${port}`);
after(() => upstream.close());

serviceShellSuite({
  service: 'api-gateway',
  portVariable: 'GATEWAY_PORT',
  env: async () => {
    const url = await upstreamUrl;
    return {
      USER_SERVICE_URL: url,
      PRODUCT_SERVICE_URL: url,
      ORDER_SERVICE_URL: url,
      INVENTORY_SERVICE_URL: url,
      NOTIFICATION_SERVICE_URL: url,
      RABBITMQ_URL: testInfra().rabbitmqUrl,
    };
  },
  metricsToken: 'scrape-token-of-the-shell-suite',
  checks: ['rabbitmq', 'token-revocations', 'user-service', 'product-service', 'order-service', 'inventory-service', 'notification-service'],
});
