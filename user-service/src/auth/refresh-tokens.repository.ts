import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { UserRecord } from '../users/user-view';
import { RefreshTokenEntity } from './refresh-token.entity';

export interface NewRefreshToken {
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

export type RotationResult =
  | { outcome: 'rotated'; user: UserRecord }
  /** Unknown, expired or revoked. */
  | { outcome: 'invalid' }
  /** Already exchanged once: a copy is in someone else's hands. The family is now revoked. */
  | { outcome: 'reused' }
  /** The account was deactivated. The family is now revoked. */
  | { outcome: 'inactive' };

/** The only place that reads and writes `refresh_tokens`; tokens are known here by their hash only. */
@Injectable()
export class RefreshTokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(token: NewRefreshToken): Promise<void> {
    await this.dataSource.getRepository(RefreshTokenEntity).insert(token);
  }

  /**
   * Exchanges a token for its successor in one transaction. The presented row is locked, so two
   * concurrent exchanges of one token cannot both succeed: the second sees it used, i.e. a reuse.
   * `userOf` reads the token's user inside that transaction (the users repository's read).
   */
  rotate(
    presentedHash: string,
    next: Omit<NewRefreshToken, 'userId' | 'familyId'>,
    userOf: (userId: string, manager: EntityManager) => Promise<UserRecord | null>,
  ): Promise<RotationResult> {
    return this.dataSource.transaction(async (manager): Promise<RotationResult> => {
      const token = await manager
        .getRepository(RefreshTokenEntity)
        .createQueryBuilder('token')
        .setLock('pessimistic_write')
        .where('token.tokenHash = :hash', { hash: presentedHash })
        .getOne();
      if (!token || token.revokedAt) return { outcome: 'invalid' };
      if (token.usedAt) {
        await this.revokeFamily(manager, token.familyId);
        return { outcome: 'reused' };
      }
      if (token.expiresAt.getTime() <= Date.now()) return { outcome: 'invalid' };
      const user = await userOf(token.userId, manager);
      if (!user?.active) {
        await this.revokeFamily(manager, token.familyId);
        return { outcome: 'inactive' };
      }
      await manager.update(RefreshTokenEntity, { id: token.id }, { usedAt: () => 'now()' });
      await manager.insert(RefreshTokenEntity, { ...next, userId: token.userId, familyId: token.familyId });
      return { outcome: 'rotated', user };
    });
  }

  /** Revokes the presented token's whole family (a logout ends the session, not one link of it). */
  async revokeFamilyOf(presentedHash: string): Promise<boolean> {
    const [, affected] = await this.dataSource.query<[unknown, number]>(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
      [presentedHash],
    );
    return affected > 0;
  }

  private revokeFamily(manager: EntityManager, familyId: string): Promise<void> {
    return revokeWhere(manager, 'family_id', familyId);
  }
}

/** Revokes every refresh token of a user, inside the caller's transaction (an account deactivation). */
export function revokeRefreshTokensOf(manager: EntityManager, userId: string): Promise<void> {
  return revokeWhere(manager, 'user_id', userId);
}

async function revokeWhere(manager: EntityManager, column: 'family_id' | 'user_id', value: string): Promise<void> {
  await manager
    .createQueryBuilder()
    .update(RefreshTokenEntity)
    .set({ revokedAt: () => 'now()' })
    .where(`${column} = :value AND revoked_at IS NULL`, { value })
    .execute();
}
