import type { JwtPayload } from 'jsonwebtoken';
import { authErrors } from '../errors';

/**
 * Revocation by subject: `subject → notBefore` (epoch seconds). A token of that subject issued
 * (`iat`) before `notBefore` is refused, so a role change or a deactivation takes effect at once
 * instead of when the token expires. An entry is needed only while tokens issued before it can
 * still be unexpired, i.e. for the longest access-token lifetime (plus clock skew); after that it
 * is dropped, which keeps the list as small as the changes of the last few minutes.
 */
export interface Revocation {
  userId: string;
  /** ISO instant: tokens of `userId` issued before it are void. */
  tokensValidAfter: string;
}

/** Clock difference between the issuer and a verifier that the retention absorbs. */
export const CLOCK_SKEW_SECONDS = 60;

/** How long a revocation matters, for tokens living at most `maxLifetimeSeconds`: the list's horizon, for issuer and verifiers alike. */
export const revocationRetentionSeconds = (maxLifetimeSeconds: number): number => maxLifetimeSeconds + CLOCK_SKEW_SECONDS;

export class TokenRevocations {
  private readonly notBefore = new Map<string, number>();
  private synced = false;

  constructor(
    /** How long an entry matters: the longest token lifetime plus clock skew. */
    readonly retentionSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a full list has been loaded once; until then nobody can tell a revoked token apart. */
  get isSynced(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.notBefore.size;
  }

  add(revocation: Revocation): void {
    const notBefore = Math.ceil(Date.parse(revocation.tokensValidAfter) / 1000);
    if (!Number.isFinite(notBefore)) return;
    // Events and backfills may arrive in any order: the latest instant wins.
    const known = this.notBefore.get(revocation.userId) ?? 0;
    if (notBefore > known) this.notBefore.set(revocation.userId, notBefore);
    this.prune();
  }

  /** A complete list from the issuer (at start, after a reconnect, while the broker is away). */
  load(revocations: readonly Revocation[]): void {
    for (const revocation of revocations) this.add(revocation);
    this.synced = true;
  }

  isRevoked(subject: string, issuedAtSeconds: number): boolean {
    const notBefore = this.notBefore.get(subject);
    return notBefore !== undefined && issuedAtSeconds < notBefore;
  }

  private prune(): void {
    const horizon = this.now() / 1000 - this.retentionSeconds;
    for (const [subject, notBefore] of this.notBefore) if (notBefore < horizon) this.notBefore.delete(subject);
  }
}

const invalid = authErrors.invalidToken;

/**
 * What every verifier (Express, NestJS passport strategy, gateway) checks once the signature, `iss`,
 * `aud` and `exp` passed: the token has `exp` and `iat` (a token without `exp` would never expire,
 * one without `iat` could not be revoked), lives no longer than access tokens may
 * (ACCESS_TOKEN_TTL_SECONDS — an entry of the revocation list is kept only that long), and its
 * subject has not been revoked since it was issued.
 */
export class TokenPolicy {
  constructor(
    readonly revocations: TokenRevocations,
    readonly maxLifetimeSeconds: number,
  ) {}

  check(payload: JwtPayload): void {
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') throw invalid('Token lacks exp or iat');
    if (payload.exp - payload.iat > this.maxLifetimeSeconds) throw invalid('Token lifetime exceeds the access-token maximum');
    if (!this.revocations.isSynced) throw authErrors.revocationsUnavailable();
    if (typeof payload.sub === 'string' && this.revocations.isRevoked(payload.sub, payload.iat)) throw invalid('Token revoked');
  }
}
