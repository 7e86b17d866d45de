import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@oip/platform/nest';
import jwt from 'jsonwebtoken';
import type { Config } from '../config';
import type { UserRecord } from '../users/user-view';
import { SigningKeys } from './signing-keys';

/** Short-lived RS256 access tokens: sub, email, roles, iss, aud, iat, exp; the header names the key. */
@Injectable()
export class AccessTokens {
  constructor(
    private readonly keys: SigningKeys,
    @Inject(SERVICE_CONFIG) private readonly config: Config,
  ) {}

  get ttlSeconds(): number {
    return this.config.ACCESS_TOKEN_TTL_SECONDS;
  }

  sign(user: UserRecord): string {
    // Verifiers refuse tokens issued before the user's last revocation, which is rounded up to a
    // whole second (iat has seconds only); a token made within that second is dated at its end, so
    // a user demoted a moment ago can log in again at once with a token that says so.
    const now = Math.floor(Date.now() / 1000);
    const revokedUntil = user.tokensValidAfter ? Math.ceil(user.tokensValidAfter.getTime() / 1000) : 0;
    return jwt.sign({ email: user.email, roles: user.roles, iat: Math.max(now, revokedUntil) }, this.keys.privateKey, {
      algorithm: 'RS256',
      keyid: this.keys.kid,
      subject: user.id,
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE,
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
    });
  }
}
