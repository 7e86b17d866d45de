/** The roles a token can carry (DESIGN.md "Identity"). */
export const ROLES = ['admin', 'user'] as const;
export type Role = (typeof ROLES)[number];
