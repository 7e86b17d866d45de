import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthenticatedUser } from '@oip/platform';
import { Authenticated, CurrentUser, Roles } from '@oip/platform/nest';
import { ListUsersQuery } from './dto/list-users.query';
import { SetRolesDto } from './dto/set-roles.dto';
import { UserIdParams } from './dto/user-id.params';
import { UserPage, UserView } from './user-view';
import { UsersService } from './users.service';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller\'s own account' })
  @ApiOkResponse({ type: UserView })
  me(@CurrentUser() caller: AuthenticatedUser): Promise<UserView> {
    return this.users.me(caller);
  }

  @Get()
  @Roles('admin')
  @ApiOperation({ summary: 'Every account, a page at a time (admin)' })
  @ApiOkResponse({ type: UserPage })
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListUsersQuery): Promise<UserPage> {
    return this.users.list(caller, query);
  }

  @Put(':id/roles')
  @Roles('admin')
  @ApiOperation({
    summary: 'Replace an account\'s roles (admin)',
    description: 'The caller\'s current roles are read from the database, not the token. A change voids the account\'s older access tokens everywhere (user_roles_changed).',
  })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse({ description: 'No such user' })
  setRoles(@CurrentUser() caller: AuthenticatedUser, @Param() params: UserIdParams, @Body() dto: SetRolesDto): Promise<UserView> {
    return this.users.setRoles(caller, params.id, dto);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({
    summary: 'Deactivate an account and revoke its tokens (admin)',
    description: 'Refresh tokens are revoked; access tokens are refused everywhere within seconds (user_deactivated).',
  })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse({ description: 'No such user' })
  deactivate(@CurrentUser() caller: AuthenticatedUser, @Param() params: UserIdParams): Promise<UserView> {
    return this.users.deactivate(caller, params.id);
  }
}
