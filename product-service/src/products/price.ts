/**
 * Money without binary floats: prices are kept as integer minor units (cents) so that range filters
 * and sorting are plain integer comparisons, and shown as a decimal string with two places.
 */
export const PRICE_PATTERN = /^\d{1,9}(\.\d{1,2})?$/;
export const MAX_PRICE_MINOR = 99_999_999_999;

/** "12.5" → 1250, "12" → 1200; an integer is already in minor units. */
export function toMinorUnits(price: string | number): number {
  if (typeof price === 'number') return price;
  const [whole = '0', fraction = ''] = price.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
}

/** 1250 → "12.50" */
export function formatMinorUnits(minor: number): string {
  const whole = Math.floor(minor / 100);
  const cents = minor % 100;
  return `${whole}.${String(cents).padStart(2, '0')}`;
}
