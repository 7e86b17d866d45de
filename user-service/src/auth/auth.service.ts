import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';
import { PasswordHasher } from '../users/password-hasher';
import type { UserRecord } from '../users/user-view';
import { UsersRepository } from '../users/users.repository';
import { AccessTokens } from './access-tokens';
import { AuthErrors } from './auth.errors';
import type { LoginDto } from './dto/login.dto';
import type { RefreshTokenDto } from './dto/refresh-token.dto';
import { throttleVerdict, type ThrottleLimits } from './login-throttle.policy';
import { LoginThrottleRepository } from './login-throttle.repository';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import type { TokenPair } from './token-pair';

/** Refresh tokens are 32 random bytes; only their SHA-256 is stored, so a database leak yields none. */
const newRefreshToken = (): string => randomBytes(32).toString('base64url');
const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

@Injectable()
export class AuthService {
  private readonly limits: ThrottleLimits;

  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
    private readonly throttle: LoginThrottleRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly accessTokens: AccessTokens,
    @Inject(SERVICE_CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limits = {
      maxPerAccount: config.LOGIN_THROTTLE_MAX_PER_ACCOUNT,
      maxPerAddress: config.LOGIN_THROTTLE_MAX_PER_IP,
      delayMs: config.LOGIN_THROTTLE_DELAY_MS,
      maxDelayMs: config.LOGIN_THROTTLE_MAX_DELAY_MS,
    };
  }

  /**
   * Unknown e-mail, wrong password and deactivated account give the same 401 after the same bcrypt
   * work. The attempt is counted before the password is checked (login-throttle.policy.ts): a
   * locked address or address-account pair gets 429 with no check at all; an account with many
   * failures is answered more slowly, but never refused, so its owner can still log in.
   */
  async login(dto: LoginDto, ip: string): Promise<TokenPair> {
    const window = this.config.LOGIN_THROTTLE_WINDOW_SECONDS;
    const counts = await this.throttle.countAttempt(dto.email, ip, window);
    const verdict = throttleVerdict(counts, this.limits);
    if (!verdict.allowed) {
      this.logger.warn({ ip, pair: counts.pair.count, address: counts.address.count }, 'login throttled');
      throw AuthErrors.tooManyAttempts(verdict.retryAfterSeconds);
    }
    if (verdict.delayMs > 0) {
      this.logger.info({ ip, accountFailures: counts.accountFailures, delayMs: verdict.delayMs }, 'login slowed');
      await sleep(verdict.delayMs);
    }
    const user = await this.users.findCredentialsByEmail(dto.email);
    const valid = user ? await this.passwords.verify(dto.password, user.passwordHash) : await this.passwords.verifyAgainstNothing(dto.password);
    if (!user || !valid || !user.active) {
      await this.throttle.recordAccountFailure(dto.email, window);
      this.logger.info({ ip, known: user !== null }, 'login failed');
      throw AuthErrors.invalidCredentials();
    }
    await this.throttle.forgive(dto.email, ip);
    return this.issue({ id: user.id, email: user.email, name: user.name, roles: user.roles, active: user.active, tokensValidAfter: user.tokensValidAfter }, randomUUID());
  }

  /** One use per refresh token: it is exchanged for a new pair in the same family. */
  async refresh(dto: RefreshTokenDto): Promise<TokenPair> {
    const next = newRefreshToken();
    const result = await this.refreshTokens.rotate(hashOf(dto.refreshToken), { tokenHash: hashOf(next), expiresAt: this.refreshExpiry() }, (id, manager) =>
      this.users.findForSession(id, manager),
    );
    switch (result.outcome) {
      case 'rotated':
        return this.pair(result.user, next);
      case 'reused':
        this.logger.warn('refresh token reused; its family is revoked');
        throw AuthErrors.refreshTokenReused();
      case 'inactive':
      case 'invalid':
        throw AuthErrors.invalidRefreshToken();
    }
  }

  /** Ends the session the token belongs to. Unknown tokens are not an error: the outcome is the same. */
  async logout(dto: RefreshTokenDto): Promise<void> {
    await this.refreshTokens.revokeFamilyOf(hashOf(dto.refreshToken));
  }

  private async issue(user: UserRecord, familyId: string): Promise<TokenPair> {
    const refreshToken = newRefreshToken();
    await this.refreshTokens.insert({ userId: user.id, familyId, tokenHash: hashOf(refreshToken), expiresAt: this.refreshExpiry() });
    return this.pair(user, refreshToken);
  }

  private async pair(user: UserRecord, refreshToken: string): Promise<TokenPair> {
    return { accessToken: await this.accessTokens.sign(user), refreshToken, tokenType: 'Bearer', expiresIn: this.accessTokens.ttlSeconds };
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
  }
}
