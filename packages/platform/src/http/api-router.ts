import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AppError, ErrorCode } from '../errors';
import type { AuthenticatedUser } from '../auth/jwt-verifier';

/**
 * One declaration per route gives validation (zod at the edge, unknown body fields refused), the
 * authentication rule and the route's OpenAPI entry, so the document cannot drift from the code.
 */
export type Access = 'public' | 'user' | 'admin';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  path: string;
  summary: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful answer; 204 sends no body. */
  status?: number;
  response?: z.ZodType;
  /** Statuses of error answers this route can give, for the document. */
  errors?: number[];
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  user: AuthenticatedUser | undefined;
  req: Request;
  res: Response;
}

export type Authenticate = (req: Request, access: Access) => Promise<AuthenticatedUser | undefined>;

export interface DocumentedRoute {
  spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
}

const anyInput = z.unknown();

export class ApiRouter {
  readonly routes: DocumentedRoute[] = [];
  private readonly handlers: Array<{ spec: RouteSpec<z.ZodType, z.ZodType, z.ZodType>; run: (input: RouteInput<unknown, unknown, unknown>) => Promise<unknown> }> = [];

  constructor(readonly tag: string) {}

  route<P extends z.ZodType = z.ZodUnknown, Q extends z.ZodType = z.ZodUnknown, B extends z.ZodType = z.ZodUnknown>(
    spec: RouteSpec<P, Q, B>,
    handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>,
  ): this {
    const erased = spec as unknown as RouteSpec<z.ZodType, z.ZodType, z.ZodType>;
    this.routes.push({ spec: erased });
    this.handlers.push({ spec: erased, run: handler as (input: RouteInput<unknown, unknown, unknown>) => Promise<unknown> });
    return this;
  }

  /** Builds the Express router; `authenticate` resolves the caller for non-public routes. */
  build(authenticate: Authenticate): Router {
    const router = Router();
    for (const { spec, run } of this.handlers) {
      router[spec.method](spec.path, async (req: Request, res: Response) => {
        const user = await authenticate(req, spec.access);
        const params = parsePart('params', spec.params ?? anyInput, req.params);
        const query = parsePart('query', spec.query ?? anyInput, req.query);
        const body = parsePart('body', spec.body ?? anyInput, spec.body ? (req.body ?? {}) : undefined);
        const result = await run({ params, query, body, user, req, res });
        if (res.headersSent) return;
        const status = spec.status ?? 200;
        if (status === 204 || result === undefined) res.status(status === 200 ? 204 : status).end();
        else res.status(status).json(result);
      });
    }
    return router;
  }
}

function parsePart(part: 'params' | 'query' | 'body', schema: z.ZodType, value: unknown): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = [part, ...issue.path.map(String)].join('.');
    fields[key] ??= issue.message;
  }
  throw new AppError('validation', ErrorCode.REQUEST_INVALID, `Invalid request ${part}`, fields);
}
