import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { AccessTokens } from './access-tokens';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwksController } from './jwks.controller';
import { LoginThrottleRepository } from './login-throttle.repository';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { SigningKeys } from './signing-keys';

/** Credentials and tokens: register, login (throttled), refresh rotation, logout, and the JWKS. */
@Module({
  imports: [UsersModule],
  controllers: [AuthController, JwksController],
  providers: [AuthService, AccessTokens, SigningKeys, LoginThrottleRepository, RefreshTokensRepository],
})
export class AuthModule {}
