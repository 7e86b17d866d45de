import type { Request, Response } from 'express';

/**
 * Names the route of a request that a mounted handler serves rather than an Express route (the
 * gateway's proxy under `/api/orders`), for its metrics and its span: a pattern, never the raw URL.
 */
export function labelRoute(res: Response, pattern: string): void {
  res.locals['route'] = pattern;
}

/** The route pattern that served the request: the matched Express route, or the handler's label. */
export function routeOf(req: Request, res: Response): string | undefined {
  const path = (req.route as { path?: string } | undefined)?.path;
  return path !== undefined ? `${req.baseUrl}${path}` : (res.locals['route'] as string | undefined);
}
