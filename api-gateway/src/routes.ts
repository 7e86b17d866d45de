import type { Config } from './config';

/** Which upstream serves which `/api` prefix (the route table in api-gateway/README.md). */
export interface Upstream {
  name: string;
  url: string;
  prefixes: string[];
}

export function upstreams(config: Config): Upstream[] {
  return [
    { name: 'user-service', url: config.USER_SERVICE_URL, prefixes: ['/auth', '/users'] },
    { name: 'product-service', url: config.PRODUCT_SERVICE_URL, prefixes: ['/products'] },
    { name: 'order-service', url: config.ORDER_SERVICE_URL, prefixes: ['/orders'] },
    { name: 'inventory-service', url: config.INVENTORY_SERVICE_URL, prefixes: ['/inventory'] },
    { name: 'notification-service', url: config.NOTIFICATION_SERVICE_URL, prefixes: ['/notifications'] },
  ];
}

/**
 * Requests that need no token at the gateway. Everything else is verified here and again by the
 * service, because service ports are reachable in compose.
 */
export function isPublic(method: string, path: string): boolean {
  // Logout is proven by the refresh token in its body: a client whose access token has expired
  // must still be able to end its session.
  if (method === 'POST' && ['/auth/register', '/auth/login', '/auth/refresh', '/auth/logout'].includes(path)) return true;
  if ((method === 'GET' || method === 'HEAD') && (path === '/products' || path.startsWith('/products/'))) return true;
  return method === 'OPTIONS';
}
