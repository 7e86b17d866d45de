import { moneyPattern, parseMinorUnits } from '@oip/contracts';

/** A product costs at most 999 999 999.99: prices are kept as integer minor units (cents) in a JS number. */
export const PRICE_PATTERN = moneyPattern(9);
export const MAX_PRICE_MINOR = 99_999_999_999;

/** "12.5" → 1250, "12" → 1200; an integer is already in minor units. Inputs passed PRICE_PATTERN. */
export function toMinorUnits(price: string | number): number {
  return typeof price === 'number' ? price : Number(parseMinorUnits(price) ?? Number.NaN);
}
