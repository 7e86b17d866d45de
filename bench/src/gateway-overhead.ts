import { closedLoop, type LoadResult } from './load';
import { measureCpu, type CpuCost } from './process-cpu';
import { gatewayUrl, productServiceUrl, productWithStock } from './stack';

export interface ReadPhase {
  load: LoadResult;
  /** CPU ms per successful read, per process. */
  cpu: CpuCost;
}

/** GET /api/products/:id through the gateway vs GET /products/:id straight to product-service, same run. */
export async function gatewayOverhead(admin: string, durationMs: number, concurrency: number): Promise<{ direct: ReadPhase; gateway: ReadPhase; ratio: number }> {
  const productId = await productWithStock(admin, 1);
  const get = (url: string) => async () => (await fetch(url)).status;
  // Warm both paths (connections, JIT) before either is measured.
  await closedLoop(get(`${gatewayUrl}/api/products/${productId}`), { concurrency, durationMs: 2000, okStatus: 200 });
  const phase = async (url: string): Promise<ReadPhase> => {
    const { result, cpu } = await measureCpu(() => closedLoop(get(url), { concurrency, durationMs, okStatus: 200 }), (load) => load.ok);
    return { load: result, cpu };
  };
  const direct = await phase(`${productServiceUrl}/products/${productId}`);
  const gateway = await phase(`${gatewayUrl}/api/products/${productId}`);
  return { direct, gateway, ratio: Math.round((gateway.load.okPerSecond / direct.load.okPerSecond) * 1000) / 1000 };
}
