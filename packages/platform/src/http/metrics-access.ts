import { createHash, timingSafeEqual } from 'node:crypto';
import { bearerToken } from '../auth/jwt-verifier';
import { ErrorCode, problem, type Problem } from '../errors';

/**
 * Who may scrape `/metrics`. A service port is internal, so its metrics are open unless a
 * METRICS_TOKEN is configured; the gateway's port is public, so there they need that token, and
 * without one configured the gateway serves no metrics at all (route names, error rates and
 * process details are an attacker's map).
 */
export interface MetricsAccess {
  /** METRICS_TOKEN: when set, scrapers send `Authorization: Bearer <token>`. */
  token?: string;
  /** The port faces the internet: no token configured means no metrics. */
  publicPort?: boolean;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The problem to answer a scrape with, or undefined when it may proceed. */
export function metricsRefusal(authorization: string | undefined, access: MetricsAccess): Problem | undefined {
  if (access.token === undefined) {
    return access.publicPort ? problem(404, ErrorCode.ROUTE_NOT_FOUND, 'No route for GET /metrics') : undefined;
  }
  const presented = bearerToken(authorization);
  // Comparing digests keeps the comparison constant-time whatever the presented length.
  if (presented !== undefined && timingSafeEqual(digest(presented), digest(access.token))) return undefined;
  return problem(401, ErrorCode.AUTH_INVALID_TOKEN, '/metrics needs the metrics token');
}
