import { closedLoop, type LoadResult } from './load';
import { gatewayUrl, productServiceUrl, productWithStock } from './stack';

/** GET /api/products/:id through the gateway vs GET /products/:id straight to product-service, same run. */
export async function gatewayOverhead(admin: string, durationMs: number, concurrency: number): Promise<{ direct: LoadResult; gateway: LoadResult; ratio: number }> {
  const productId = await productWithStock(admin, 1);
  const get = (url: string) => async () => (await fetch(url)).status;
  const direct = await closedLoop(get(`${productServiceUrl}/products/${productId}`), { concurrency, durationMs, okStatus: 200 });
  const gateway = await closedLoop(get(`${gatewayUrl}/api/products/${productId}`), { concurrency, durationMs, okStatus: 200 });
  return { direct, gateway, ratio: Math.round((gateway.okPerSecond / direct.okPerSecond) * 1000) / 1000 };
}
