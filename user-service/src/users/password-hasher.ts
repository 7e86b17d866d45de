import { Inject, Injectable } from '@nestjs/common';
import { SERVICE_CONFIG } from '@oip/platform/nest';
import bcrypt from 'bcrypt';
import type { Config } from '../config';

/**
 * bcrypt with the configured cost. `verifyAgainstNothing` spends the same time as a real check, so
 * a login for an unknown e-mail cannot be told from a wrong password by how long it takes.
 */
@Injectable()
export class PasswordHasher {
  private readonly cost: number;
  private dummyHash: Promise<string> | undefined;

  constructor(@Inject(SERVICE_CONFIG) config: Config) {
    this.cost = config.BCRYPT_COST;
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }

  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummyHash ??= bcrypt.hash('not-a-password-anyone-has', this.cost);
    await bcrypt.compare(password, await this.dummyHash);
    return false;
  }
}
