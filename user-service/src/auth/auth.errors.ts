import { AppError } from '@oip/platform';

/** The auth capability's domain errors. Credentials failures never say which part was wrong. */
export const AuthErrors = {
  invalidCredentials: () => new AppError('unauthorized', 'AUTH.INVALID_CREDENTIALS', 'E-mail or password is wrong'),
  tooManyAttempts: (retryAfterSeconds: number) =>
    new AppError('rate_limited', 'AUTH.TOO_MANY_ATTEMPTS', 'Too many failed logins from this address; try again later', undefined, retryAfterSeconds),
  invalidRefreshToken: () => new AppError('unauthorized', 'AUTH.INVALID_REFRESH_TOKEN', 'The refresh token is invalid, expired or revoked'),
  refreshTokenReused: () =>
    new AppError('unauthorized', 'AUTH.REFRESH_TOKEN_REUSED', 'The refresh token was already used; every session token from it is revoked'),
};
