import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmailAddress, IsSafeText } from '@oip/platform/nest';
import { IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';

/** E-mail addresses are compared case-insensitively and stored in lower case. */
export const normaliseEmail = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class RegisterDto {
  @ApiProperty({ format: 'email', example: 'ann@example.com' })
  @Transform(normaliseEmail)
  @IsString()
  @IsEmailAddress()
  email!: string;

  // bcrypt reads at most 72 bytes; a longer password would silently lose its tail.
  @ApiProperty({ minLength: 8, maxLength: 72, example: 'correct horse battery' })
  @IsString()
  @MinLength(8)
  @MaxLength(72)
  @IsSafeText()
  password!: string;

  @ApiProperty({ example: 'Ann', minLength: 1, maxLength: 100 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @IsSafeText()
  name!: string;
}
