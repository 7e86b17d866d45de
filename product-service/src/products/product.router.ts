import { ApiRouter, isAdmin } from '@oip/platform';
import { CreateProductBody, ListProductsQuery, ProductIdParams, ProductPage, ProductView, ReplaceProductBody, UpdateProductBody } from './product.schemas';
import type { ProductService } from './product.service';

/** HTTP entry points: parse (by the route spec), call one service method, answer. */
export function productRouter(service: ProductService): ApiRouter {
  return new ApiRouter('products')
    .route(
      { method: 'post', path: '/products', summary: 'Create a product', access: 'admin', body: CreateProductBody, status: 201, response: ProductView, errors: [409] },
      ({ body }) => service.create(body),
    )
    .route(
      { method: 'get', path: '/products', summary: 'List products (active only unless an admin asks for includeInactive)', access: 'public', query: ListProductsQuery, response: ProductPage },
      ({ query, user }) => service.list(query, { admin: isAdmin(user) }),
    )
    .route(
      { method: 'get', path: '/products/:id', summary: 'Get a product', access: 'public', params: ProductIdParams, response: ProductView, errors: [404] },
      ({ params, user }) => service.get(params.id, { admin: isAdmin(user) }),
    )
    .route(
      { method: 'patch', path: '/products/:id', summary: 'Change a product (not its SKU)', access: 'admin', params: ProductIdParams, body: UpdateProductBody, response: ProductView, errors: [404, 409] },
      ({ params, body }) => service.update(params.id, body),
    )
    .route(
      { method: 'put', path: '/products/:id', summary: 'Replace every editable field of a product (not its SKU)', access: 'admin', params: ProductIdParams, body: ReplaceProductBody, response: ProductView, errors: [404, 409] },
      ({ params, body }) => service.update(params.id, body),
    )
    .route(
      { method: 'delete', path: '/products/:id', summary: 'Delete a product (soft: it stays, inactive)', access: 'admin', params: ProductIdParams, status: 204, errors: [404] },
      ({ params }) => service.delete(params.id),
    );
}
