import jwt, { type JwtPayload } from 'jsonwebtoken';
import { JwksClient } from 'jwks-rsa';
import { authErrors } from '../errors';
import type { TokenPolicy } from './token-revocations';

/**
 * Verifies RS256 access tokens against the user-service JWKS. Keys are fetched by `kid` and cached,
 * so key rotation needs no restart and no shared secret is ever copied between services. Only RS256
 * is accepted: `alg: none` and HS256-with-the-public-key tokens are refused by construction.
 */
export interface AuthenticatedUser {
  id: string;
  email: string;
  roles: string[];
}

export interface JwtVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** exp/iat present, lifetime bounded, subject not revoked since issue. */
  policy: TokenPolicy;
}

export type VerifyToken = (token: string) => Promise<AuthenticatedUser>;

const unauthorized = authErrors.invalidToken;

/** The JWKS cannot be fetched (user-service down, slow or rate-limiting us): 503, never 401 or 500. */
export const jwksUnavailable = authErrors.jwksUnavailable;

/**
 * How every process fetches and caches the JWKS (this verifier and the NestJS passport strategy):
 * keys cached ten minutes, at most 30 fetches a minute (an unknown `kid` cannot make us hammer
 * user-service), each fetch bounded to 3 s.
 */
export const JWKS_CLIENT_OPTIONS = {
  cache: true,
  cacheMaxEntries: 10,
  cacheMaxAge: 10 * 60 * 1000,
  rateLimit: true,
  jwksRequestsPerMinute: 30,
  timeout: 3000,
} as const;

export function createJwksClient(jwksUrl: string): JwksClient {
  return new JwksClient({ jwksUri: jwksUrl, ...JWKS_CLIENT_OPTIONS });
}

export function createJwtVerifier(options: JwtVerifierOptions): VerifyToken {
  const client = createJwksClient(options.jwksUrl);
  return async (token) => {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw unauthorized('Malformed token');
    if (decoded.header.alg !== 'RS256') throw unauthorized('Unsupported token algorithm');
    const kid = decoded.header.kid;
    if (!kid) throw unauthorized('Token has no key id');
    let key: string;
    try {
      key = (await client.getSigningKey(kid)).getPublicKey();
    } catch (error) {
      if (error instanceof Error && error.name === 'SigningKeyNotFoundError') throw unauthorized('Unknown signing key');
      throw jwksUnavailable();
    }
    let payload: JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: ['RS256'],
        issuer: options.issuer,
        audience: options.audience,
      }) as JwtPayload;
    } catch (error) {
      throw unauthorized(error instanceof jwt.TokenExpiredError ? 'Token expired' : 'Invalid token');
    }
    options.policy.check(payload);
    return userFromClaims(payload);
  };
}

export function userFromClaims(payload: JwtPayload): AuthenticatedUser {
  const roles = Array.isArray(payload['roles']) ? payload['roles'].filter((role): role is string => typeof role === 'string') : [];
  if (typeof payload.sub !== 'string' || typeof payload['email'] !== 'string') throw unauthorized('Token lacks subject claims');
  return { id: payload.sub, email: payload['email'], roles };
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}
