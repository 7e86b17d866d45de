import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '@oip/platform/nest';
import { ROLES, type Role } from './roles';

/** What a client ever sees of a user: never the password hash, never the active flag's internals. */
export class UserView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'email', example: 'ann@example.com' })
  email!: string;

  @ApiProperty({ example: 'Ann' })
  name!: string;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['user'] })
  roles!: Role[];

  @ApiProperty()
  active!: boolean;
}

export class UserPage extends PageOf(UserView) {}

/** The fields a user is read with; `passwordHash` is deliberately not among them. */
export interface UserRecord {
  id: string;
  email: string;
  name: string;
  roles: string[];
  active: boolean;
  /** Read where tokens are signed: a new token must not be issued "before" the last revocation. */
  tokensValidAfter?: Date | null;
}

export function toUserView(user: UserRecord): UserView {
  return { id: user.id, email: user.email, name: user.name, roles: user.roles as Role[], active: user.active };
}
