import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt, { type JwtPayload } from 'jsonwebtoken';
import { JwksClient, type SigningKey } from 'jwks-rsa';
import { authErrors } from '../errors';
import type { TokenPolicy } from './token-revocations';

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

/**
 * How this process checks an RS256 access token against the user-service JWKS, in three parts so
 * that the Express verifier (`verify`) and the NestJS passport-jwt strategy run the same checks:
 * - `keyFor(token)`: the public key published under the token's `kid`. Keys are fetched and cached
 *   by jwks-rsa (ten minutes, at most 30 fetches a minute so an unknown `kid` cannot make us hammer
 *   user-service, each fetch bounded to 3 s), so a key rotation needs no restart and no secret is
 *   copied between services. A JWKS that cannot be fetched is 503 AUTH.JWKS_UNAVAILABLE, never a 401.
 * - `verifyOptions`: RS256 only (`alg: none` and HS256-with-the-public-key tokens are refused by
 *   construction), `iss`, `aud`; `exp` is always checked.
 * - `accept(payload)`: the TokenPolicy (exp and iat present, lifetime bounded, subject not revoked),
 *   then the caller as handlers see it.
 */
export class TokenVerification {
  readonly verifyOptions: { algorithms: ['RS256']; issuer: string; audience: string };
  private readonly client: JwksClient;

  constructor(private readonly options: JwtVerifierOptions) {
    this.client = new JwksClient({
      jwksUri: options.jwksUrl,
      cache: true,
      cacheMaxEntries: 10,
      cacheMaxAge: 10 * 60 * 1000,
      rateLimit: true,
      jwksRequestsPerMinute: 30,
      timeout: 3000,
    });
    this.verifyOptions = { algorithms: ['RS256'], issuer: options.issuer, audience: options.audience };
  }

  /** Signing key → parsed key: jsonwebtoken would otherwise parse a PEM for every token. */
  private readonly parsedKeys = new WeakMap<SigningKey, KeyObject>();

  async keyFor(token: string): Promise<KeyObject> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw unauthorized('Malformed token');
    if (decoded.header.alg !== 'RS256') throw unauthorized('Unsupported token algorithm');
    const kid = decoded.header.kid;
    if (!kid) throw unauthorized('Token has no key id');
    try {
      // jwks-rsa answers the same signing-key object while it holds it in its cache, but its
      // getPublicKey() exports the key to PEM again on every call (a tenth of the gateway's CPU per
      // request): the parsed key is kept per signing-key object, so it lives exactly as long.
      const signingKey = await this.client.getSigningKey(kid);
      let key = this.parsedKeys.get(signingKey);
      if (!key) {
        key = createPublicKey(signingKey.getPublicKey());
        this.parsedKeys.set(signingKey, key);
      }
      return key;
    } catch (error) {
      if (error instanceof Error && error.name === 'SigningKeyNotFoundError') throw unauthorized('Unknown signing key');
      throw authErrors.jwksUnavailable();
    }
  }

  accept(payload: JwtPayload): AuthenticatedUser {
    this.options.policy.check(payload);
    return userFromClaims(payload);
  }

  /** The whole check, for Express services and the gateway. */
  readonly verify: VerifyToken = async (token) => {
    const key = await this.keyFor(token);
    let payload: JwtPayload;
    try {
      payload = jwt.verify(token, key, this.verifyOptions) as JwtPayload;
    } catch (error) {
      throw unauthorized(error instanceof jwt.TokenExpiredError ? 'Token expired' : 'Invalid token');
    }
    return this.accept(payload);
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
