import type { Request } from 'express';
import { authErrors } from '../errors';
import type { Access, Authenticate } from '../http/api-router';
import { bearerToken, type AuthenticatedUser, type VerifyToken } from './jwt-verifier';

export function isAdmin(user: AuthenticatedUser | undefined): boolean {
  return user?.roles.includes('admin') ?? false;
}

/** The `authenticate` of an ApiRouter: public routes pass, others need a valid token and role. */
export function authenticator(verify: VerifyToken): Authenticate {
  return async (req: Request, access: Access) => {
    const token = bearerToken(req.header('authorization'));
    if (access === 'public') {
      // A public route still learns who calls when a valid token is sent (e.g. admins see more).
      return token ? verify(token).catch(() => undefined) : undefined;
    }
    if (!token) throw authErrors.tokenMissing();
    const user = await verify(token);
    if (access === 'admin' && !isAdmin(user)) throw authErrors.forbidden(['admin']);
    return user;
  };
}
