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
    return jwt.sign({ email: user.email, roles: user.roles }, this.keys.privateKey, {
      algorithm: 'RS256',
      keyid: this.keys.kid,
      subject: user.id,
      issuer: this.config.JWT_ISSUER,
      audience: this.config.JWT_AUDIENCE,
      expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS,
    });
  }
}
