import { ApiProperty } from '@nestjs/swagger';

export class TokenPair {
  @ApiProperty({ description: 'RS256 JWT; verify against /.well-known/jwks.json' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque; exchange it once at /auth/refresh for a new pair' })
  refreshToken!: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType!: 'Bearer';

  @ApiProperty({ description: 'Seconds until the access token expires', example: 300 })
  expiresIn!: number;
}

export class Jwks {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } })
  keys!: object[];
}

export class Revocation {
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ format: 'date-time', description: 'Access tokens of the user issued before this instant are refused' })
  tokensValidAfter!: string;
}

export class RevocationList {
  @ApiProperty({ type: [Revocation] })
  revocations!: Revocation[];
}
