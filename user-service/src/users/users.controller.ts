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
  list(@Query() query: ListUsersQuery): Promise<UserPage> {
    return this.users.list(query);
  }

  @Put(':id/roles')
  @Roles('admin')
  @ApiOperation({ summary: 'Replace an account\'s roles (admin)' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse({ description: 'No such user' })
  setRoles(@Param() params: UserIdParams, @Body() dto: SetRolesDto): Promise<UserView> {
    return this.users.setRoles(params.id, dto);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Deactivate an account and revoke its refresh tokens (admin)' })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse({ description: 'No such user' })
  deactivate(@Param() params: UserIdParams): Promise<UserView> {
    return this.users.deactivate(params.id);
  }
}
