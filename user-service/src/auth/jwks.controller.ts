import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { revocationRetentionSeconds } from '@oip/platform';
import { Public, SERVICE_CONFIG } from '@oip/platform/nest';
import type { Config } from '../config';
import { UsersRepository } from '../users/users.repository';
import { SigningKeys } from './signing-keys';
import { Jwks, RevocationList } from './token-pair';

@ApiTags('auth')
@Controller('.well-known')
export class JwksController {
  constructor(
    private readonly keys: SigningKeys,
    private readonly users: UsersRepository,
    @Inject(SERVICE_CONFIG) private readonly config: Config,
  ) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify access tokens, by kid' })
  @ApiOkResponse({ type: Jwks })
  jwks(): Jwks {
    return this.keys.jwks;
  }

  /**
   * What a verifier loads at start and after a broker reconnect, beside the keys: users whose
   * tokens were voided recently (only as long ago as a token can live). Public like the JWKS: it
   * holds opaque ids and instants, and every gateway and service instance needs it before any token.
   */
  @Get('token-revocations.json')
  @Public()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Users whose access tokens issued before tokensValidAfter are void (recent changes only)' })
  @ApiOkResponse({ type: RevocationList })
  async revocations(): Promise<RevocationList> {
    return { revocations: await this.users.recentRevocations(revocationRetentionSeconds(this.config.ACCESS_TOKEN_TTL_SECONDS)) };
  }
}
