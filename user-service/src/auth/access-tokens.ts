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

  async sign(user: UserRecord): Promise<string> {
    // Verifiers refuse the user's tokens issued before its last revocation, an instant at most a
    // second ahead (iat has whole seconds only). A token signed before then would be refused at
    // once, so signing waits for it: a user demoted a moment ago logs in again with a token that works.
    const notBefore = Math.min(user.tokensValidAfter?.getTime() ?? 0, Date.now() + 1000);
    // A timer may fire a millisecond before the wall clock gets there: wait until it has.
    while (Date.now() < notBefore) await new Promise((resolve) => setTimeout(resolve, notBefore - Date.now() + 1));
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
