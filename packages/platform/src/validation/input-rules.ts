import { z } from 'zod';

/**
 * The rules every service applies to text it accepts, Express (zod) and NestJS (class-validator)
 * alike, so the two frameworks refuse the same input with the same 400 and the OpenAPI documents
 * state it as a `pattern`.
 *
 * Safe text: no C0 control characters but tab, line feed and carriage return, no DEL, and no lone
 * UTF-16 surrogate. PostgreSQL refuses NUL in text, FerretDB refuses it in keys and queries, and a
 * lone surrogate cannot be encoded as UTF-8 (URIError, or silent U+FFFD): each would otherwise surface as a
 * 500 from deep in a driver. The documents carry the control-character half as a `pattern`; the
 * surrogate half needs none, since a JSON Schema string is Unicode text, which a lone surrogate is not.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const SAFE_TEXT_PATTERN = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
/** With the `u` flag a surrogate pair is one code point and does not match; a lone half does. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
export const SAFE_TEXT_MESSAGE = 'must not contain control characters or unpaired surrogates';

export function isSafeText(value: string): boolean {
  return SAFE_TEXT_PATTERN.test(value) && !LONE_SURROGATE.test(value);
}

/** A string of safe text; chain `.trim().min().max()` as usual. */
export function safeText(): z.ZodString {
  return z
    .string()
    .regex(SAFE_TEXT_PATTERN, SAFE_TEXT_MESSAGE)
    .refine((value) => !LONE_SURROGATE.test(value), SAFE_TEXT_MESSAGE);
}

/**
 * Ids in paths and bodies (UUIDs, notification ObjectIds, ids carried between services): letters,
 * digits, "_" and "-", at most 64. Anything else cannot name a record, so it is a 400 before it
 * reaches a query.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const ID_MESSAGE = 'must be an id (letters, digits, "_" and "-", at most 64)';
export const EntityId = z.string().regex(ID_PATTERN, ID_MESSAGE);

/**
 * How deep a JSON body may nest. No request of ours goes past a handful of levels; a body nested
 * thousands deep overflows the stack of recursive walkers (class-transformer: RangeError → 500).
 */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests deeper than `max` arrays/objects; iterative, and stops at the first too-deep branch. */
export function exceedsDepth(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Object.values(current)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}
