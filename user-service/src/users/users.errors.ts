import { AppError } from '@oip/platform';

/** The users capability's domain errors, by stable code; the platform filter maps them to problem+json. */
export const UserErrors = {
  emailTaken: () => new AppError('conflict', 'USER.EMAIL_TAKEN', 'An account with this e-mail address already exists'),
  notFound: (id: string) => new AppError('not_found', 'USER.NOT_FOUND', `No user ${id}`),
  deactivated: () => new AppError('unauthorized', 'USER.DEACTIVATED', 'This account is deactivated'),
};
