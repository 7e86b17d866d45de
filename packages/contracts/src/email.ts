import { z } from 'zod';

/**
 * The one e-mail rule: the events that carry an address (`user_registered`, every order event)
 * and the HTTP edge that accepts one (user-service's register and login) use this same schema, so
 * an address the edge takes can never be refused later by the contract — after the password was
 * hashed and the account stored. 254 is the longest address SMTP can carry (RFC 5321).
 */
export const MAX_EMAIL_LENGTH = 254;
/**
 * zod's own e-mail pattern (`z.regexes.email`) with the length limits of RFC 5321/1035 that it
 * leaves out: a local part of at most 64 characters, domain labels of at most 63 that neither
 * start nor end with "-". A mail server refuses those addresses anyway, and so does the JSON
 * Schema `format: email` check that clients of our OpenAPI documents apply.
 */
export const EMAIL_PATTERN = /^(?=[^@]{1,64}@)(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
export const Email = z.email({ pattern: EMAIL_PATTERN }).max(MAX_EMAIL_LENGTH);

export function isEmailAddress(value: unknown): value is string {
  return Email.safeParse(value).success;
}
