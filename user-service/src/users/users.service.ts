import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createEvent } from '@oip/contracts';
import { authErrors, contextCausation, type AuthenticatedUser, type Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';
import type { ListUsersQuery } from './dto/list-users.query';
import type { RegisterDto } from './dto/register.dto';
import type { SetRolesDto } from './dto/set-roles.dto';
import { PasswordHasher } from './password-hasher';
import { toUserView, type UserPage, type UserView } from './user-view';
import { UserErrors } from './users.errors';
import { UsersRepository } from './users.repository';

export const EVENT_SOURCE = '/user-service';

/**
 * The instant from which a revoked user's tokens are valid again: the start of the next second.
 * `iat` has whole seconds only, so every token issued up to now (this second included) has an `iat`
 * below it; AccessTokens waits for it before signing a new one for the user.
 */
const revocationInstant = (): Date => new Date((Math.floor(Date.now() / 1000) + 1) * 1000);

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
    @Inject(SERVICE_CONFIG) private readonly config: Config,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A new account with the `user` role; `user_registered` goes out through the outbox with it. */
  async register(dto: RegisterDto): Promise<UserView> {
    const id = randomUUID();
    const passwordHash = await this.passwords.hash(dto.password);
    const event = createEvent(
      'user_registered',
      { userId: id, email: dto.email, name: dto.name },
      { source: EVENT_SOURCE, subject: id, ...contextCausation() },
    );
    const user = await this.users.createWithEvent({ id, email: dto.email, name: dto.name, passwordHash, roles: ['user'] }, event);
    this.logger.info({ userId: id }, 'user registered');
    return toUserView(user);
  }

  async me(caller: AuthenticatedUser): Promise<UserView> {
    const user = await this.users.findById(caller.id);
    // A token outlives a deactivation by at most its lifetime; the account's own data stops at once.
    if (!user || !user.active) throw UserErrors.deactivated();
    return toUserView(user);
  }

  async list(caller: AuthenticatedUser, query: ListUsersQuery): Promise<UserPage> {
    await this.assertCurrentAdmin(caller);
    const { items, total } = await this.users.list(query.page, query.limit);
    return { items: items.map(toUserView), page: query.page, limit: query.limit, total };
  }

  /** New roles; a real change voids the user's older tokens everywhere (`user_roles_changed`). */
  async setRoles(caller: AuthenticatedUser, id: string, dto: SetRolesDto): Promise<UserView> {
    await this.assertCurrentAdmin(caller);
    const tokensValidAfter = revocationInstant();
    const event = createEvent(
      'user_roles_changed',
      { userId: id, roles: dto.roles, tokensValidAfter: tokensValidAfter.toISOString() },
      { source: EVENT_SOURCE, subject: id, ...contextCausation() },
    );
    const user = await this.users.setRoles(id, dto.roles, tokensValidAfter, event);
    if (!user) throw UserErrors.notFound(id);
    this.logger.info({ userId: id, roles: dto.roles, by: caller.id }, 'user roles set');
    return toUserView(user);
  }

  /** Ends the account: refresh tokens revoked, access tokens void everywhere (`user_deactivated`). */
  async deactivate(caller: AuthenticatedUser, id: string): Promise<UserView> {
    await this.assertCurrentAdmin(caller);
    const tokensValidAfter = revocationInstant();
    const event = createEvent(
      'user_deactivated',
      { userId: id, tokensValidAfter: tokensValidAfter.toISOString() },
      { source: EVENT_SOURCE, subject: id, ...contextCausation() },
    );
    const user = await this.users.deactivate(id, tokensValidAfter, event);
    if (!user) throw UserErrors.notFound(id);
    this.logger.info({ userId: id, by: caller.id }, 'user deactivated, tokens revoked');
    return toUserView(user);
  }

  /**
   * User administration trusts the database, not the token: a token's roles are as old as the
   * token, and an admin demoted a moment ago must not be able to promote itself back with it.
   */
  private async assertCurrentAdmin(caller: AuthenticatedUser): Promise<void> {
    const current = await this.users.findById(caller.id);
    if (!current?.active) throw UserErrors.deactivated();
    if (!current.roles.includes('admin')) throw authErrors.forbidden(['admin']);
  }

  /** The first admin from ADMIN_EMAIL / ADMIN_PASSWORD: created when missing, else given the role. */
  async ensureAdmin(): Promise<void> {
    const email = this.config.ADMIN_EMAIL?.trim().toLowerCase();
    const password = this.config.ADMIN_PASSWORD;
    if (!email || !password) {
      this.logger.info('ADMIN_EMAIL / ADMIN_PASSWORD not set: no admin account ensured');
      return;
    }
    const outcome = await this.users.ensureWithRole(
      { id: randomUUID(), email, name: 'Administrator', passwordHash: await this.passwords.hash(password), roles: ['admin', 'user'] },
      'admin',
    );
    this.logger.info({ email, outcome }, 'admin account ensured');
  }
}
