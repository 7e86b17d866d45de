import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request } from 'express';
import { AppError, authErrors } from '../../errors';
import type { AuthenticatedUser } from '../../auth/jwt-verifier';
import { IS_PUBLIC, REQUIRED_ROLES } from './auth.decorators';
import { JWT_STRATEGY } from './jwt.strategy';

/**
 * The global authentication guard: every route needs a valid access token unless it is @Public().
 * Failures are domain errors, so the platform filter answers them as problem+json like any other:
 * 401 AUTH.TOKEN_MISSING / AUTH.INVALID_TOKEN, 503 AUTH.JWKS_UNAVAILABLE when the keys cannot be fetched.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (isPublic(this.reflector, context)) return true;
    return super.canActivate(context) as Promise<boolean>;
  }

  override handleRequest<TUser = AuthenticatedUser>(error: unknown, user: TUser | false, info: unknown, context: ExecutionContext): TUser {
    if (error instanceof AppError) throw error;
    // The key lookup's verdict (unknown kid: 401, JWKS unreachable: 503): passport-jwt hands it over as `info`.
    if (info instanceof AppError) throw info;
    if (error instanceof Error) throw error;
    if (!user) {
      const header = context.switchToHttp().getRequest<Request>().headers.authorization;
      if (!header) throw authErrors.tokenMissing();
      throw authErrors.invalidToken(reasonOf(info));
    }
    return user;
  }
}

/** Runs after JwtAuthGuard: a route with @Roles(...) needs the caller to hold one of them. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (isPublic(this.reflector, context)) return true;
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_ROLES, [context.getHandler(), context.getClass()]);
    if (!roles || roles.length === 0) return true;
    const user = context.switchToHttp().getRequest<Request & { user?: AuthenticatedUser }>().user;
    if (!user?.roles.some((role) => roles.includes(role))) {
      throw authErrors.forbidden(roles);
    }
    return true;
  }
}

function isPublic(reflector: Reflector, context: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [context.getHandler(), context.getClass()]) === true;
}

/** passport-jwt reports why a token failed in `info` (a jsonwebtoken error); only its kind reaches the client. */
function reasonOf(info: unknown): string {
  const name = info instanceof Error ? info.name : undefined;
  if (name === 'TokenExpiredError') return 'Token expired';
  if (name === 'NotBeforeError') return 'Token not yet valid';
  return 'Invalid token';
}
