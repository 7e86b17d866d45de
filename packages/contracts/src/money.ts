import { z } from 'zod';

/**
 * Money without binary floats: a non-negative decimal string with at most two places at every edge
 * (API, events, numeric(14,2) columns), integer minor units (cents) while computing.
 */

/** At most `wholeDigits` digits before the point (12 fits a numeric(14,2) column), at most two after. */
export function moneyPattern(wholeDigits = 12): RegExp {
  return new RegExp(`^(\\d{1,${wholeDigits}})(?:\\.(\\d{1,2}))?$`);
}

const DECIMAL = moneyPattern();

/** Money as it travels in events: a decimal string ("12.50"), never a binary float. */
export const Money = z.string().regex(DECIMAL, 'a decimal string with at most two decimals, such as "12.50"');

/** "12.5" → 1250n, "12" → 1200n; undefined when it is not a non-negative decimal with at most two places. */
export function parseMinorUnits(value: string): bigint | undefined {
  const match = DECIMAL.exec(value);
  if (!match) return undefined;
  const [, whole = '0', fraction = ''] = match;
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** 1250n (or 1250) → "12.50" */
export function formatMinorUnits(minor: bigint | number): string {
  const cents = BigInt(minor);
  if (cents < 0n) throw new RangeError('negative amount');
  return `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
}
