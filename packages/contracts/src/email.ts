import { z } from 'zod';

/**
 * The one e-mail rule: the events that carry an address (`user_registered`, every order event)
 * and the HTTP edge that accepts one (user-service's register and login) use this same schema, so
 * an address the edge takes can never be refused later by the contract — after the password was
 * hashed and the account stored. 254 is the longest address SMTP can carry (RFC 5321).
 */
export const MAX_EMAIL_LENGTH = 254;
export const EMAIL_PATTERN = z.regexes.email;
export const Email = z.email({ pattern: EMAIL_PATTERN }).max(MAX_EMAIL_LENGTH);

export function isEmailAddress(value: unknown): value is string {
  return Email.safeParse(value).success;
}
