/**
 * Domain errors carry a stable string `code` (e.g. `STOCK.INSUFFICIENT`) and a `kind`; the HTTP
 * layer maps the kind to a status in one place. The domain never throws HTTP errors, and `code`
 * survives crossing a process where `instanceof` would not.
 */
export type ErrorKind =
  | 'validation'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'timeout';

export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    /** Field → message, for validation errors. */
    readonly fields?: Record<string, string>,
    /** For `rate_limited`: when the client may try again, sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * The codes the platform itself answers with, in one table so that the gateway, the Express
 * services and the NestJS services cannot drift apart (a service's own codes live in its
 * `*.errors.ts`). Clients match on these strings; change one only with the API's version.
 */
export const ErrorCode = {
  AUTH_TOKEN_MISSING: 'AUTH.TOKEN_MISSING',
  AUTH_INVALID_TOKEN: 'AUTH.INVALID_TOKEN',
  AUTH_UNAUTHORIZED: 'AUTH.UNAUTHORIZED',
  AUTH_FORBIDDEN: 'AUTH.FORBIDDEN',
  AUTH_JWKS_UNAVAILABLE: 'AUTH.JWKS_UNAVAILABLE',
  AUTH_REVOCATIONS_UNAVAILABLE: 'AUTH.REVOCATIONS_UNAVAILABLE',
  REQUEST_INVALID: 'REQUEST.INVALID',
  REQUEST_MALFORMED: 'REQUEST.MALFORMED',
  REQUEST_TOO_LARGE: 'REQUEST.TOO_LARGE',
  REQUEST_TOO_DEEP: 'REQUEST.TOO_DEEP',
  REQUEST_HEADERS_TOO_LARGE: 'REQUEST.HEADERS_TOO_LARGE',
  REQUEST_TIMEOUT: 'REQUEST.TIMEOUT',
  REQUEST_UNSUPPORTED_MEDIA_TYPE: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  REQUEST_CONFLICT: 'REQUEST.CONFLICT',
  REQUEST_RATE_LIMITED: 'REQUEST.RATE_LIMITED',
  ROUTE_NOT_FOUND: 'ROUTE.NOT_FOUND',
  ROUTE_METHOD_NOT_ALLOWED: 'ROUTE.METHOD_NOT_ALLOWED',
  SERVICE_OVERLOADED: 'SERVICE.OVERLOADED',
  SERVICE_UNAVAILABLE: 'SERVICE.UNAVAILABLE',
  DEPENDENCY_UNAVAILABLE: 'DEPENDENCY.UNAVAILABLE',
  UPSTREAM_UNAVAILABLE: 'UPSTREAM.UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'UPSTREAM.TIMEOUT',
  EVENT_IN_PROGRESS: 'EVENT.IN_PROGRESS',
  EVENT_UNHANDLED_TYPE: 'EVENT.UNHANDLED_TYPE',
  INTERNAL: 'INTERNAL',
} as const;

/** The platform's errors that more than one place raises. */
export const authErrors = {
  tokenMissing: () => new AppError('unauthorized', ErrorCode.AUTH_TOKEN_MISSING, 'A bearer token is required'),
  invalidToken: (message: string) => new AppError('unauthorized', ErrorCode.AUTH_INVALID_TOKEN, message),
  forbidden: (roles: readonly string[]) => new AppError('forbidden', ErrorCode.AUTH_FORBIDDEN, `This action needs the ${roles.join(' or ')} role`),
  jwksUnavailable: () => new AppError('unavailable', ErrorCode.AUTH_JWKS_UNAVAILABLE, 'Cannot verify tokens right now'),
  revocationsUnavailable: () => new AppError('unavailable', ErrorCode.AUTH_REVOCATIONS_UNAVAILABLE, 'Cannot verify tokens right now'),
};

export const statusOfKind: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  timeout: 504,
};

const titleOfStatus: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** RFC 9457 problem details, the body of every error response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: Record<string, string>;
}

export function problem(status: number, code: string, detail: string, errors?: Record<string, string>): Problem {
  return {
    type: `https://errors.order-inventory.dev/${code.toLowerCase().replace(/[._]/g, '-')}`,
    title: titleOfStatus[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
  };
}

/** What an HTTP client sees for an error: its own words for known errors, nothing internal otherwise. */
export function toProblem(error: unknown): { problem: Problem; expected: boolean; retryAfterSeconds?: number } {
  if (error instanceof AppError) {
    const retryAfterSeconds = error.retryAfterSeconds;
    return { problem: problem(statusOfKind[error.kind], error.code, error.message, error.fields), expected: true, ...(retryAfterSeconds ? { retryAfterSeconds } : {}) };
  }
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    // body-parser and friends: malformed JSON, body too large, wrong content type.
    const code = status === 413 ? ErrorCode.REQUEST_TOO_LARGE : status === 415 ? ErrorCode.REQUEST_UNSUPPORTED_MEDIA_TYPE : ErrorCode.REQUEST_MALFORMED;
    const detail = status === 413 ? 'The request body is too large' : status === 415 ? 'Unsupported content type' : 'The request body is not valid JSON';
    return { problem: problem(status, code, detail), expected: true };
  }
  if (isDependencyUnavailable(error)) {
    return { problem: problem(503, ErrorCode.DEPENDENCY_UNAVAILABLE, 'A dependency is unavailable or overloaded; try again shortly'), expected: false };
  }
  return { problem: problem(500, ErrorCode.INTERNAL, 'An unexpected error occurred'), expected: false };
}

const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '53300']);
const unavailableNames = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoPoolClearedError',
  'MongoNotConnectedError',
  // TypeORM throws these instead of the lost connection when its COMMIT or ROLLBACK follows a
  // connection PostgreSQL dropped (both seen in order-chaos.test's PostgreSQL restart).
  'QueryRunnerProviderAlreadyReleasedError',
  'QueryRunnerAlreadyReleasedError',
]);

/**
 * A database or broker that is down, restarting or out of connections: the client should retry
 * (503), and nothing is wrong with its request. Driver errors are matched by code and name, and
 * pg-pool's acquire timeout by its message (it has neither).
 */
export function isDependencyUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 3; depth += 1) {
    const { code, name, message } = current as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && unavailableCodes.has(code)) return true;
    if (typeof name === 'string' && unavailableNames.has(name)) return true;
    if (typeof message === 'string' && /timeout exceeded when trying to connect|Connection terminated/.test(message)) return true;
    if (isFerretDbBackendDown(current)) return true;
    current = (current as { driverError?: unknown; cause?: unknown }).driverError ?? (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * FerretDB reports its PostgreSQL being away (restarting, refusing connections) as a server error
 * `InternalError` with PostgreSQL's words in the message, not as a network error.
 */
function isFerretDbBackendDown(error: object): boolean {
  const { name, codeName, message } = error as { name?: unknown; codeName?: unknown; message?: unknown };
  return name === 'MongoServerError' && codeName === 'InternalError' && typeof message === 'string' && /SQLSTATE (57P0[1-3]|53300)|terminating connection|failed to connect to|connection refused/.test(message);
}

function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof candidate === 'number' ? candidate : undefined;
}
