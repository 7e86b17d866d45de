import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { createEvent } from '@oip/contracts';
import { currentContext, type AuthenticatedUser, type Logger } from '@oip/platform';
import { LOGGER, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';
import type { ListUsersQuery } from './dto/list-users.query';
import { MAX_PAGE_SIZE } from '@oip/platform/nest';
import type { RegisterDto } from './dto/register.dto';
import type { SetRolesDto } from './dto/set-roles.dto';
import { PasswordHasher } from './password-hasher';
import { toUserView, type UserPage, type UserView } from './user-view';
import { UserErrors } from './users.errors';
import { UsersRepository } from './users.repository';

export const EVENT_SOURCE = '/user-service';

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
      { source: EVENT_SOURCE, subject: id, correlationId: currentContext()?.requestId },
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

  async list(query: ListUsersQuery): Promise<UserPage> {
    const limit = Math.min(query.limit, MAX_PAGE_SIZE);
    const { items, total } = await this.users.list(query.page, limit);
    return { items: items.map(toUserView), page: query.page, limit, total };
  }

  async setRoles(id: string, dto: SetRolesDto): Promise<UserView> {
    const user = await this.users.setRoles(id, dto.roles);
    if (!user) throw UserErrors.notFound(id);
    this.logger.info({ userId: id, roles: dto.roles }, 'user roles changed');
    return toUserView(user);
  }

  async deactivate(id: string): Promise<UserView> {
    const user = await this.users.deactivate(id);
    if (!user) throw UserErrors.notFound(id);
    this.logger.info({ userId: id }, 'user deactivated, refresh tokens revoked');
    return toUserView(user);
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
