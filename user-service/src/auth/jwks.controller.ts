import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@oip/platform/nest';
import { SigningKeys } from './signing-keys';
import { Jwks } from './token-pair';

@ApiTags('auth')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeys) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify access tokens, by kid' })
  @ApiOkResponse({ type: Jwks })
  jwks(): Jwks {
    return this.keys.jwks;
  }
}
