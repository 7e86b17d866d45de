/** The roles a token can carry (user-service/README.md, "HTTP"). */
export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];
