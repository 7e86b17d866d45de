/**
 * Which service serves which `/api` prefix (the route table in api-gateway/README.md). The
 * instances behind a name come from the resolver: the registry, or `*_SERVICE_URL` when
 * DISCOVERY=static.
 */
export interface Upstream {
  name: string;
  prefixes: string[];
}

export const upstreams: readonly Upstream[] = [
  { name: 'user-service', prefixes: ['/auth', '/users'] },
  { name: 'product-service', prefixes: ['/products'] },
  { name: 'order-service', prefixes: ['/orders'] },
  { name: 'inventory-service', prefixes: ['/inventory'] },
  { name: 'notification-service', prefixes: ['/notifications'] },
];

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
