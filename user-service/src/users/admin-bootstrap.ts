import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { UsersService } from './users.service';

/** Ensures the first admin once the database is migrated, before the service takes requests. */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  constructor(private readonly users: UsersService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.users.ensureAdmin();
  }
}
