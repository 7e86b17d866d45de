/**
 * Money without binary floats: amounts are integer minor units (cents) as bigint while computing,
 * and decimal strings with two places at every edge (API, events, the numeric(14,2) columns).
 */
const DECIMAL = /^(\d{1,12})(?:\.(\d{1,2}))?$/;

/** The largest amount a numeric(14,2) column holds. */
export const MAX_MINOR_UNITS = 99_999_999_999_999n;

/** "12.5" → 1250n, "12" → 1200n; undefined when it is not a non-negative decimal with at most two places. */
export function parseMinorUnits(value: string): bigint | undefined {
  const match = DECIMAL.exec(value);
  if (!match) return undefined;
  const [, whole = '0', fraction = ''] = match;
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** 1250n → "12.50" */
export function formatMinorUnits(minor: bigint): string {
  if (minor < 0n) throw new RangeError('negative amount');
  const cents = minor % 100n;
  return `${minor / 100n}.${cents.toString().padStart(2, '0')}`;
}

/** Σ unitPrice × quantity, exactly. */
export function orderTotal(lines: ReadonlyArray<{ unitPrice: bigint; quantity: number }>): bigint {
  return lines.reduce((sum, line) => sum + line.unitPrice * BigInt(line.quantity), 0n);
}
