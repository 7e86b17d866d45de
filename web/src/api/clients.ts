import createClient from 'openapi-fetch';
import type { paths as gatewayPaths } from './generated/api-gateway';
import type { paths as inventoryPaths } from './generated/inventory-service';
import type { paths as notificationPaths } from './generated/notification-service';
import type { components as orderComponents, paths as orderPaths } from './generated/order-service';
import type { paths as productPaths } from './generated/product-service';
import type { components as userComponents, paths as userPaths } from './generated/user-service';
import { authFetch } from './session';

/** One typed client per service, each over the gateway's /api, all carrying the session's token. */
const options = { baseUrl: '/api', fetch: authFetch };
export const users = createClient<userPaths>(options);
export const products = createClient<productPaths>(options);
export const orders = createClient<orderPaths>(options);
export const inventory = createClient<inventoryPaths>(options);
export const notifications = createClient<notificationPaths>(options);
/** The gateway's own routes; its document's paths already start with /api. */
export const gateway = createClient<gatewayPaths>({ baseUrl: '', fetch: authFetch });

export type User = userComponents['schemas']['UserView'];
export type Order = orderComponents['schemas']['OrderView'];
export type OrderStatus = Order['status'];
export type Product = NonNullable<productPaths['/products/{id}']['get']['responses'][200]['content']['application/json']>;
export type Stock = inventoryPaths['/inventory/{productId}']['get']['responses'][200]['content']['application/json'];
export type StockPage = inventoryPaths['/inventory']['get']['responses'][200]['content']['application/json'];
export type Notification = notificationPaths['/notifications']['get']['responses'][200]['content']['application/json']['items'][number];
export type DeadLetters = gatewayPaths['/api/admin/dead-letters']['get']['responses'][200]['content']['application/json'];
export type Registry = Exclude<gatewayPaths['/registry']['get']['responses'][200]['content']['application/json'], string>;

/** What a failed call shows: the problem+json `detail` (and field messages), or a plain fallback. */
export function problemText(error: unknown, fallback = 'Something went wrong. Please try again.'): string {
  if (error && typeof error === 'object' && 'detail' in error && typeof error.detail === 'string') {
    const fields = 'errors' in error && error.errors && typeof error.errors === 'object' ? Object.values(error.errors as Record<string, string>) : [];
    return fields.length > 0 ? `${error.detail}: ${fields.join('; ')}` : error.detail;
  }
  return fallback;
}

/** Turns an openapi-fetch answer into its data, or throws an Error whose message is the problem's detail. */
export function unwrap<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.error !== undefined || answer.data === undefined) {
    if (answer.response.status === 204) return undefined as T;
    throw new Error(problemText(answer.error, `The server answered ${answer.response.status}`));
  }
  return answer.data;
}
