import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import type { AuthenticatedUser } from '../../auth/jwt-verifier';

/**
 * Every route of a NestJS service needs a valid access token unless it says otherwise: the guard
 * is global, so a route someone forgets to annotate is closed, not open.
 */
export const IS_PUBLIC = 'oip:isPublic';
export const REQUIRED_ROLES = 'oip:requiredRoles';
/** @nestjs/swagger's metadata key for an operation's security (DECORATORS.API_SECURITY, not exported). */
const API_SECURITY = 'swagger/apiSecurity';

/**
 * No token needed (register, login, JWKS, ...). The OpenAPI operation says so with `security: [{}]`
 * (the empty requirement: anonymous is fine); `[]` would be dropped by @nestjs/swagger on a method.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), SetMetadata(API_SECURITY, [{}]));

/** A valid token is needed (the default), documented as bearer auth with its 401. */
export const Authenticated = () =>
  applyDecorators(ApiBearerAuth('bearerAuth'), ApiUnauthorizedResponse({ description: 'Missing or invalid token' }));

/** A valid token carrying one of these roles is needed. */
export const Roles = (...roles: string[]) =>
  applyDecorators(SetMetadata(REQUIRED_ROLES, roles), Authenticated(), ApiForbiddenResponse({ description: `Needs the role ${roles.join(' or ')}` }));

/** The caller, as verified from the access token. Only on routes that are not @Public(). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedUser => {
  const user = context.switchToHttp().getRequest<Request & { user?: AuthenticatedUser }>().user;
  // The global guard puts it there; its absence is a programming error (a @Public() route asking).
  if (!user) throw new Error('@CurrentUser() used on a route without an authenticated user');
  return user;
});
