import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { EMAIL_PATTERN, isEmailAddress, MAX_EMAIL_LENGTH } from '@oip/contracts';
import { Matches, ValidateBy } from 'class-validator';
import { ID_MESSAGE, ID_PATTERN, isSafeText, SAFE_TEXT_MESSAGE, SAFE_TEXT_PATTERN } from '../validation/input-rules';

/*
 * The platform's input rules (validation/input-rules.ts, contracts' Email) as class-validator
 * decorators, each also writing its rule into the property's OpenAPI schema, so a NestJS DTO
 * refuses what the Express services refuse and documents it the same way. Put them below
 * the property's own `@ApiProperty`: it is applied after them and keeps its description and example.
 */

/** Safe text: no control characters, no unpaired surrogates. */
export function IsSafeText(): PropertyDecorator {
  return applyDecorators(
    ValidateBy({
      name: 'isSafeText',
      validator: { validate: (value: unknown) => typeof value === 'string' && isSafeText(value), defaultMessage: () => `$property ${SAFE_TEXT_MESSAGE}` },
    }),
    ApiProperty({ pattern: SAFE_TEXT_PATTERN.source }),
  );
}

/** An id (letters, digits, "_" and "-", at most 64). */
export function IsEntityId(): PropertyDecorator {
  return applyDecorators(
    Matches(ID_PATTERN, { message: `$property ${ID_MESSAGE}` }),
    ApiProperty({ pattern: ID_PATTERN.source, maxLength: 64 }),
  );
}

/** An e-mail address by the contracts' rule, the one the events that carry it are validated against. */
export function IsEmailAddress(): PropertyDecorator {
  return applyDecorators(
    ValidateBy({ name: 'isEmailAddress', validator: { validate: isEmailAddress, defaultMessage: () => '$property must be an e-mail address' } }),
    ApiProperty({ format: 'email', maxLength: MAX_EMAIL_LENGTH, pattern: EMAIL_PATTERN.source }),
  );
}
