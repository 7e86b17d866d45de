import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '@oip/platform/nest';
import { RegisterDto } from '../users/dto/register.dto';
import { UserView } from '../users/user-view';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { RefreshTokenDto } from './dto/refresh-token.dto';
import { TokenPair } from './token-pair';

@ApiTags('auth')
@Controller('auth')
@Public()
@ApiBadRequestResponse({ description: 'Invalid input, with a field → message map' })
export class AuthController {
  constructor(
    private readonly users: UsersService,
    private readonly auth: AuthService,
  ) {}

  @Post('register')
  @ApiOperation({ summary: 'Create an account (role user)' })
  @ApiCreatedResponse({ type: UserView })
  @ApiConflictResponse({
    description:
      'USER.EMAIL_TAKEN: the e-mail is taken, whatever its case. Deliberate: a sign-up form must be able to say so, at the price ' +
      'of telling a caller that an account exists (login does not: it answers the same 401 for an unknown e-mail and a wrong ' +
      'password). The gateway rate limit bounds how fast anyone can ask.',
  })
  register(@Body() dto: RegisterDto): Promise<UserView> {
    return this.users.register(dto);
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange e-mail and password for an access and a refresh token' })
  @ApiOkResponse({ type: TokenPair })
  @ApiUnauthorizedResponse({ description: 'AUTH.INVALID_CREDENTIALS' })
  @ApiTooManyRequestsResponse({
    description:
      'AUTH.TOO_MANY_ATTEMPTS, with Retry-After: too many attempts on this account from this address, or too many failed logins ' +
      'from this address. An account with many failures from anywhere is answered more slowly, never refused.',
    headers: { 'Retry-After': { description: 'Seconds until the attempt may be repeated', schema: { type: 'integer' } } },
  })
  login(@Body() dto: LoginDto, @Ip() ip: string): Promise<TokenPair> {
    return this.auth.login(dto, ip);
  }

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token (once) for a new pair' })
  @ApiOkResponse({ type: TokenPair })
  @ApiUnauthorizedResponse({ description: 'AUTH.INVALID_REFRESH_TOKEN, or AUTH.REFRESH_TOKEN_REUSED (the session is revoked)' })
  refresh(@Body() dto: RefreshTokenDto): Promise<TokenPair> {
    return this.auth.refresh(dto);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the session the refresh token belongs to' })
  @ApiNoContentResponse({ description: 'Revoked (also when the token was unknown)' })
  logout(@Body() dto: RefreshTokenDto): Promise<void> {
    return this.auth.logout(dto);
  }
}
