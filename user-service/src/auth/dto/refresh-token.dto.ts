import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

export class RefreshTokenDto {
  // Tokens are base64url; anything else cannot be one, and must not reach a query (PostgreSQL refuses NUL).
  @ApiProperty({ description: 'The opaque refresh token from login or the last refresh', maxLength: 512, pattern: '^[A-Za-z0-9_-]+$' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'refreshToken must be a refresh token' })
  refreshToken!: string;
}
