import { expressService, runExpressService } from '@oip/platform';
import { buildApp } from './app';
import { loadServiceConfig } from './config';

runExpressService(() => {
  const config = loadServiceConfig();
  return expressService({
    name: 'api-gateway',
    port: config.GATEWAY_PORT,
    config,
    setup: async (kit) => ({ app: buildApp(kit, config) }),
  });
});
