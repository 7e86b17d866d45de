import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError, ErrorCode } from '../errors';

/**
 * Validation at the edge: unknown fields are refused rather than silently dropped, payloads become
 * DTO instances, and a failure is the platform's `REQUEST.INVALID` with a field → message map (the
 * same shape the Express services give), not Nest's array of sentences.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new AppError('validation', ErrorCode.REQUEST_INVALID, 'The request is not valid', validationFields(errors)),
  });
}

/**
 * `items.0.quantity` → its failed constraints' messages, joined (class-validator's order is the
 * reverse of the decorators', so "the first" would be arbitrary); nested DTOs are walked to the leaves.
 */
export function validationFields(errors: ValidationError[], prefix = ''): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) fields[path] = messages.reverse().join('; ');
    Object.assign(fields, validationFields(error.children ?? [], path));
  }
  return fields;
}
