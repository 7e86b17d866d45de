import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmailAddress } from '@oip/platform/nest';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { normaliseEmail } from '../../users/dto/register.dto';

export class LoginDto {
  @ApiProperty({ format: 'email', example: 'ann@example.com' })
  @Transform(normaliseEmail)
  @IsString()
  @IsEmailAddress()
  email!: string;

  @ApiProperty({ example: 'correct horse battery', minLength: 1, maxLength: 1024 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  password!: string;
}
