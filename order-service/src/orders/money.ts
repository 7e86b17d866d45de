/** The largest amount a numeric(14,2) column holds, in minor units. */
export const MAX_MINOR_UNITS = 99_999_999_999_999n;

/** Σ unitPrice × quantity, exactly (bigint minor units). */
export function orderTotal(lines: ReadonlyArray<{ unitPrice: bigint; quantity: number }>): bigint {
  return lines.reduce((sum, line) => sum + line.unitPrice * BigInt(line.quantity), 0n);
}
