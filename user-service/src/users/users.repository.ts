import { Injectable } from '@nestjs/common';
import type { CloudEvent } from '@oip/contracts';
import type { Revocation } from '@oip/platform';
import { enqueueEvent } from '@oip/platform/outbox';
import { isUniqueViolation } from '@oip/platform/typeorm';
import { DataSource, MoreThan, type EntityManager } from 'typeorm';
import { revokeRefreshTokensOf } from '../auth/refresh-tokens.repository';
import type { UserRecord } from './user-view';
import { UserEntity } from './user.entity';
import { UserErrors } from './users.errors';

const EMAIL_UNIQUE_INDEX = 'users_email_lower_key';
const publicColumns = { id: true, email: true, name: true, roles: true, active: true } as const;

export interface NewUser {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  roles: string[];
}

/** The only place that reads and writes `users`. Returns plain records, never entities. */
@Injectable()
export class UsersRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get users() {
    return this.dataSource.getRepository(UserEntity);
  }

  /** Stores the user and its event in one transaction: both commit, or neither. */
  async createWithEvent(user: NewUser, event: CloudEvent): Promise<UserRecord> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        await manager.insert(UserEntity, { ...user, active: true });
        await enqueueEvent(manager, event);
        return { id: user.id, email: user.email, name: user.name, roles: user.roles, active: true };
      });
    } catch (error) {
      throw isUniqueViolation(error, EMAIL_UNIQUE_INDEX) ? UserErrors.emailTaken() : error;
    }
  }

  /** Creates the user unless the e-mail exists; then makes sure it has `role`. Race-free across instances. */
  async ensureWithRole(user: NewUser, role: string): Promise<'created' | 'promoted' | 'unchanged'> {
    const [inserted] = await this.dataSource.query<Array<{ id: string }>>(
      `INSERT INTO users (id, email, name, password_hash, roles) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`,
      [user.id, user.email, user.name, user.passwordHash, user.roles],
    );
    if (inserted) return 'created';
    const [, affected] = await this.dataSource.query<[unknown, number]>(
      `UPDATE users SET roles = array_append(roles, $2), updated_at = now() WHERE lower(email) = lower($1) AND NOT ($2 = ANY(roles))`,
      [user.email, role],
    );
    return affected > 0 ? 'promoted' : 'unchanged';
  }

  findById(id: string): Promise<UserRecord | null> {
    return this.users.findOne({ where: { id }, select: publicColumns });
  }

  /** The user a refresh token starts a session for, read inside the rotation's transaction. */
  findForSession(id: string, manager: EntityManager): Promise<UserRecord | null> {
    return manager.findOne(UserEntity, { where: { id }, select: { ...publicColumns, tokensValidAfter: true } });
  }

  /** The one read that includes the password hash: for checking a login, nothing else. */
  async findCredentialsByEmail(email: string): Promise<(UserRecord & { passwordHash: string }) | null> {
    return this.users
      .createQueryBuilder('user')
      .select(['user.id', 'user.email', 'user.name', 'user.roles', 'user.active', 'user.passwordHash', 'user.tokensValidAfter'])
      .where('lower(user.email) = lower(:email)', { email })
      .getOne();
  }

  async list(page: number, limit: number): Promise<{ items: UserRecord[]; total: number }> {
    const [items, total] = await this.users.findAndCount({
      select: publicColumns,
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    return { items, total };
  }

  /**
   * Replaces the roles. When they change, the user's older access tokens are voided and `event`
   * (built for `tokensValidAfter`) is written to the outbox in the same transaction; the row is
   * locked, so two concurrent changes cannot both see the old roles.
   */
  async setRoles(id: string, roles: string[], tokensValidAfter: Date, event: CloudEvent): Promise<UserRecord | null> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockedUser(manager, id);
      if (!user) return null;
      if (sameRoles(user.roles, roles)) return user;
      await manager.update(UserEntity, { id }, { roles, tokensValidAfter });
      await enqueueEvent(manager, event);
      return { ...user, roles };
    });
  }

  /**
   * Deactivates the user, voids its access tokens, revokes every refresh token it holds and writes
   * `event` to the outbox, in one transaction. An account already inactive is left as it is.
   */
  async deactivate(id: string, tokensValidAfter: Date, event: CloudEvent): Promise<UserRecord | null> {
    return this.dataSource.transaction(async (manager) => {
      const user = await this.lockedUser(manager, id);
      if (!user) return null;
      if (!user.active) return user;
      await manager.update(UserEntity, { id }, { active: false, tokensValidAfter });
      await revokeRefreshTokensOf(manager, id);
      await enqueueEvent(manager, event);
      return { ...user, active: false };
    });
  }

  /** Users whose tokens were voided within the last `withinSeconds`: what every verifier must refuse. */
  async recentRevocations(withinSeconds: number): Promise<Revocation[]> {
    const rows = await this.users.find({
      select: { id: true, tokensValidAfter: true },
      where: { tokensValidAfter: MoreThan(new Date(Date.now() - withinSeconds * 1000)) },
    });
    return rows.flatMap((row) => (row.tokensValidAfter ? [{ userId: row.id, tokensValidAfter: row.tokensValidAfter.toISOString() }] : []));
  }

  private lockedUser(manager: EntityManager, id: string): Promise<UserRecord | null> {
    return manager.getRepository(UserEntity).createQueryBuilder('user').setLock('pessimistic_write').select(Object.keys(publicColumns).map((column) => `user.${column}`)).where('user.id = :id', { id }).getOne();
  }
}

const sameRoles = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join();
