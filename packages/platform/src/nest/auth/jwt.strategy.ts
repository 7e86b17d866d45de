import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { TokenVerification, type AuthenticatedUser } from '../../auth/jwt-verifier';

export const JWT_STRATEGY = 'jwt';

/**
 * The NestJS services verify access tokens with passport-jwt, given the process's one
 * TokenVerification: its key lookup, its verify options and its policy, so the checks are the
 * Express verifier's. The key lookup's errors reach JwtAuthGuard as passport's `info`: an unknown
 * `kid` is a 401, a JWKS that cannot be fetched a 503.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(private readonly tokens: TokenVerification) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (_req: unknown, token: string, done: (error: unknown, key?: string) => void) => {
        tokens.keyFor(token).then(
          // passport-jwt hands the key to jsonwebtoken, which takes a parsed KeyObject (its types say only string | Buffer).
          (key) => done(null, key as unknown as string),
          (error: unknown) => done(error),
        );
      },
      ...tokens.verifyOptions,
    });
  }

  /** The signature, `iss`, `aud` and `exp` passed: the policy decides, then handlers see the caller. */
  validate(payload: JwtPayload): AuthenticatedUser {
    return this.tokens.accept(payload);
  }
}
