import { ApiRouter, PageQuery } from '@oip/platform';
import { AdjustBody, CreateStockBody, HoldBody, ListStockQuery, ProductIdParams, SetQuantityBody, StockChangeView, StockCreatedView, StockListView, StockView } from './stock.schemas';
import type { StockService } from './stock.service';

/** HTTP entry points: parse (by the route spec), call one service method, answer. */
export function stockRouter(service: StockService): ApiRouter {
  const router = new ApiRouter('inventory')
    .route(
      { method: 'get', path: '/inventory', summary: 'List stock records with product details (product: null when product-service does not answer in time)', access: 'user', query: ListStockQuery, response: StockListView },
      ({ query, req }) => service.list(query, req.header('authorization')),
    )
    .route(
      {
        method: 'post',
        path: '/inventory',
        summary: 'Create or set the stock record of a catalogue product (404 when product-service does not know it; safe to race its product_created)',
        access: 'admin',
        body: CreateStockBody,
        response: StockCreatedView,
        errors: [404, 409, 503],
      },
      ({ body, req }) => service.createOrSet(body, req.header('authorization')),
    )
    .route(
      { method: 'get', path: '/inventory/:productId', summary: 'Stock of a product', access: 'user', params: ProductIdParams, response: StockView, errors: [404] },
      ({ params }) => service.get(params.productId),
    )
    .route(
      { method: 'get', path: '/inventory/:productId/movements', summary: 'Stock movements of a product, newest first', access: 'admin', params: ProductIdParams, query: PageQuery, errors: [404] },
      ({ params, query }) => service.movements(params.productId, query),
    )
    .route(
      { method: 'put', path: '/inventory/:productId/quantity', summary: 'Set on-hand stock (not below what is reserved)', access: 'admin', params: ProductIdParams, body: SetQuantityBody, response: StockChangeView, errors: [404, 409] },
      ({ params, body }) => service.setQuantity(params.productId, body),
    )
    .route(
      { method: 'post', path: '/inventory/:productId/adjust', summary: 'Add or remove on-hand stock with a reason', access: 'admin', params: ProductIdParams, body: AdjustBody, response: StockChangeView, errors: [404, 409] },
      ({ params, body }) => service.adjust(params.productId, body),
    );
  for (const action of ['reserve', 'release', 'deduct'] as const) {
    const summaries = {
      reserve: 'Hold stock for a reference (once per reference)',
      release: 'Release the hold of a reference (once)',
      deduct: "Deduct a reference's hold, or available stock when it has none (once)",
    };
    router.route(
      { method: 'post', path: `/inventory/:productId/${action}`, summary: summaries[action], access: 'admin', params: ProductIdParams, body: HoldBody, response: StockChangeView, errors: [404, 409] },
      ({ params, body }) => service[action](params.productId, body),
    );
  }
  return router;
}
