import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import type { JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { JWKS_CLIENT_OPTIONS, jwksUnavailable, userFromClaims, type AuthenticatedUser } from '../../auth/jwt-verifier';
import { TokenPolicy } from '../../auth/token-revocations';
import type { CommonConfig } from '../../express-service';
import { SERVICE_CONFIG } from '../tokens';

export const JWT_STRATEGY = 'jwt';

/**
 * How a NestJS service checks an access token: RS256 only (so `alg: none` and HS256 signed with the
 * public key are refused), signature by the key the user-service JWKS publishes under the token's
 * `kid` (fetched, cached and rate-limited by jwks-rsa, so rotation needs no restart), then `exp`,
 * `iss` and `aud`, then the platform TokenPolicy (exp and iat present, lifetime bounded, subject not
 * revoked). The same checks as the Express services' verifier, through passport-jwt.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    @Inject(SERVICE_CONFIG) config: CommonConfig,
    private readonly policy: TokenPolicy,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: passportJwtSecret({
        jwksUri: config.JWKS_URL,
        ...JWKS_CLIENT_OPTIONS,
        // passport-jwt reports a key provider's error as a failed token (a 401): a JWKS that cannot be
        // fetched goes as the domain error instead, which the guard answers with 503. An unknown kid
        // gets no key, so the token fails verification: 401.
        handleSigningKeyError: (error, done) => done(error && error.name !== 'SigningKeyNotFoundError' ? jwksUnavailable() : null),
      }),
      algorithms: ['RS256'],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  /** The claims passed every check; what handlers see as the caller. */
  validate(payload: JwtPayload): AuthenticatedUser {
    this.policy.check(payload);
    return userFromClaims(payload);
  }
}
