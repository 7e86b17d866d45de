import { ApiProperty } from '@nestjs/swagger';
import { ArrayNotEmpty, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { ROLES, type Role } from '../roles';

export class SetRolesDto {
  @ApiProperty({ enum: ROLES, isArray: true, minItems: 1, uniqueItems: true, example: ['user', 'admin'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(ROLES, { each: true, message: `each role must be one of: ${ROLES.join(', ')}` })
  roles!: Role[];
}
